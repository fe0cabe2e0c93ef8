// Shared by every kernel of the addon: argument checking at the Node-API boundary, oneDNN's engine
// and stream, and a cache of primitives by shape (oneDNN's rule: describe once, execute many times).
//
// Nothing reaches oneDNN unchecked: every array's length is compared with the size its dims imply
// (the JavaScript side checks shapes and dtypes first, with messages that name the op; these checks
// are the second line, so a bug there becomes a JS exception, never a read past a buffer).
#pragma once
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace rn {

using dnnl::memory;
using dims = memory::dims;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine &eng();
dnnl::stream &strm();

// A JS-facing failure: caught at the boundary and turned into a JS Error with this message.
struct Failure {
  std::string message;
};

[[noreturn]] inline void fail(const std::string &m) { throw Failure{m}; }

// Below this many elements a loop of ours runs on the calling thread: waking OpenMP's workers costs
// more than these memory-bound loops take, and far more when another process holds the other core.
constexpr int64_t PARALLEL_MIN = 1 << 18;

inline int64_t product(const dims &d) {
  int64_t p = 1;
  for (auto v : d) p *= v;
  return p;
}

inline std::string dimsStr(const dims &d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); i++) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

// A Float32Array argument, its length checked against what the caller needs.
float *f32(const Napi::CallbackInfo &info, size_t i, int64_t expected, const char *what);
// A Float32Array argument or null.
float *f32OrNull(const Napi::CallbackInfo &info, size_t i, int64_t expected, const char *what);
// An Int32Array argument of parameters (shapes, strides, pads) of exactly `count` values.
std::vector<int64_t> ints(const Napi::CallbackInfo &info, size_t i, size_t count, const char *what);
// An Int32Array of any length (a shape of rank 0..12).
std::vector<int64_t> shape(const Napi::CallbackInfo &info, size_t i, const char *what);
double number(const Napi::CallbackInfo &info, size_t i, const char *what);
bool boolean(const Napi::CallbackInfo &info, size_t i, const char *what);

// Runs `body`, turning Failure, dnnl::error and std::bad_alloc into a JS exception.
Napi::Value guarded(const Napi::CallbackInfo &info, const std::function<Napi::Value()> &body);

// Plain row-major strides for dims (oneDNN's dense "abcd…" layout).
memory::desc plainDesc(const dims &d);

// A cache of anything by a string key (primitives with their descriptors). Never evicted during a
// run: a ResNet has a few dozen distinct shapes; clearCaches() empties it.
template <typename T>
T &cached(std::unordered_map<std::string, std::unique_ptr<T>> &cache, const std::string &key, const std::function<std::unique_ptr<T>()> &make) {
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  auto made = make();
  T &ref = *made;
  cache.emplace(key, std::move(made));
  return ref;
}

// A grow-only scratch buffer per use, so that temporaries do not pay page faults every call
// (README.md, "Why it is built this way": first-touching a fresh 8 MiB buffer costs ~22 ms on these machines).
float *scratch(int slot, int64_t floats);
void releaseScratch();

// Reordered weights, kept while the tensor they came from lives (the JS side calls release(key)
// when tfjs disposes it). Keyed by (tensor key, layout).
dnnl::memory *cachedWeights(double key, const memory::desc &layout);
void storeWeights(double key, const memory::desc &layout, dnnl::memory mem);
void releaseWeights(double key);
size_t cachedWeightCount();
void clearCaches();

void registerConv(Napi::Env env, Napi::Object exports);
void registerBatchNorm(Napi::Env env, Napi::Object exports);
void registerPool(Napi::Env env, Napi::Object exports);
void registerElementwise(Napi::Env env, Napi::Object exports);
void registerReduce(Napi::Env env, Napi::Object exports);
void registerMatmul(Napi::Env env, Napi::Object exports);

}  // namespace rn
