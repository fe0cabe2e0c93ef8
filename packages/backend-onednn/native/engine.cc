// oneDNN's engine and stream, the argument checks, scratch buffers and the weights cache.
#include <omp.h>

#include <cstring>
#include <new>

#include "common.h"

namespace rn {

dnnl::engine &eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream &strm() {
  static dnnl::stream s(eng());
  return s;
}

static Napi::TypedArray typedArg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i >= info.Length() || !info[i].IsTypedArray()) fail(std::string(what) + ": expected a typed array");
  return info[i].As<Napi::TypedArray>();
}

float *f32(const Napi::CallbackInfo &info, size_t i, int64_t expected, const char *what) {
  auto ta = typedArg(info, i, what);
  if (ta.TypedArrayType() != napi_float32_array) fail(std::string(what) + ": expected a Float32Array");
  auto arr = ta.As<Napi::Float32Array>();
  if (static_cast<int64_t>(arr.ElementLength()) != expected) {
    fail(std::string(what) + ": expected " + std::to_string(expected) + " float32 values, got " + std::to_string(arr.ElementLength()));
  }
  return arr.Data();
}

float *f32OrNull(const Napi::CallbackInfo &info, size_t i, int64_t expected, const char *what) {
  if (i < info.Length() && (info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  return f32(info, i, expected, what);
}

std::vector<int64_t> shape(const Napi::CallbackInfo &info, size_t i, const char *what) {
  auto ta = typedArg(info, i, what);
  if (ta.TypedArrayType() != napi_int32_array) fail(std::string(what) + ": expected an Int32Array");
  auto arr = ta.As<Napi::Int32Array>();
  if (arr.ElementLength() > 12) fail(std::string(what) + ": rank above 12");
  std::vector<int64_t> out(arr.ElementLength());
  for (size_t k = 0; k < out.size(); k++) {
    if (arr[k] < 0) fail(std::string(what) + ": negative value " + std::to_string(arr[k]));
    out[k] = arr[k];
  }
  return out;
}

std::vector<int64_t> ints(const Napi::CallbackInfo &info, size_t i, size_t count, const char *what) {
  auto ta = typedArg(info, i, what);
  if (ta.TypedArrayType() != napi_int32_array) fail(std::string(what) + ": expected an Int32Array");
  auto arr = ta.As<Napi::Int32Array>();
  if (arr.ElementLength() != count) fail(std::string(what) + ": expected " + std::to_string(count) + " values, got " + std::to_string(arr.ElementLength()));
  std::vector<int64_t> out(count);
  for (size_t k = 0; k < count; k++) out[k] = arr[k];
  return out;
}

double number(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i >= info.Length() || !info[i].IsNumber()) fail(std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool boolean(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i >= info.Length() || !info[i].IsBoolean()) fail(std::string(what) + ": expected a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

Napi::Value guarded(const Napi::CallbackInfo &info, const std::function<Napi::Value()> &body) {
  Napi::Env env = info.Env();
  try {
    return body();
  } catch (const Failure &f) {
    Napi::Error::New(env, "onednn: " + f.message).ThrowAsJavaScriptException();
  } catch (const dnnl::error &e) {
    Napi::Error::New(env, std::string("onednn: oneDNN failed (status ") + std::to_string(static_cast<int>(e.status)) + "): " + e.what()).ThrowAsJavaScriptException();
  } catch (const std::bad_alloc &) {
    Napi::Error::New(env, "onednn: out of memory").ThrowAsJavaScriptException();
  } catch (const std::exception &e) {
    Napi::Error::New(env, std::string("onednn: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

memory::desc plainDesc(const dims &d) {
  dims strides(d.size());
  int64_t s = 1;
  for (size_t i = d.size(); i-- > 0;) {
    strides[i] = s;
    s *= d[i] > 0 ? d[i] : 1;
  }
  return memory::desc(d, dt::f32, strides);
}

// --- scratch ---------------------------------------------------------------------------------
static std::unordered_map<int, std::vector<float>> scratchBuffers;

float *scratch(int slot, int64_t floats) {
  auto &v = scratchBuffers[slot];
  if (static_cast<int64_t>(v.size()) < floats) {
    v.clear();
    v.shrink_to_fit();
    v.resize(static_cast<size_t>(floats));
  }
  return v.data();
}

void releaseScratch() { scratchBuffers.clear(); }

// --- weights in oneDNN's layouts -------------------------------------------------------------
struct WeightEntry {
  memory::desc layout;
  dnnl::memory mem;
};
static std::unordered_map<double, std::vector<WeightEntry>> weightCache;

dnnl::memory *cachedWeights(double key, const memory::desc &layout) {
  auto it = weightCache.find(key);
  if (it == weightCache.end()) return nullptr;
  for (auto &e : it->second)
    if (e.layout == layout) return &e.mem;
  return nullptr;
}

void storeWeights(double key, const memory::desc &layout, dnnl::memory mem) { weightCache[key].push_back({layout, std::move(mem)}); }

void releaseWeights(double key) { weightCache.erase(key); }

size_t cachedWeightCount() {
  size_t n = 0;
  for (auto &kv : weightCache) n += kv.second.size();
  return n;
}

void clearCaches() {
  weightCache.clear();
  releaseScratch();
}

}  // namespace rn
