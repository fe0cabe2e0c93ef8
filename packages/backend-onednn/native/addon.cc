// The module: what it is (oneDNN's version, the ISA its kernels dispatch to, threads), thread and
// cache control, and every kernel's entry point (conv.cc, batch_norm.cc, pool.cc, elementwise.cc,
// reduce.cc, matmul.cc).
#include <omp.h>

#include "common.h"

namespace rn {

void clearConvCaches();
void clearBatchNormCaches();
void clearPoolCaches();
void releaseWorkspace(double key);
size_t workspaceCount();

static const char *isaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::all: return "all";
    default: return "other";
  }
}

static Napi::Value Info(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Napi::Env env = info.Env();
    const dnnl_version_t *v = dnnl_version();
    Napi::Object o = Napi::Object::New(env);
    o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
    o.Set("hash", v->hash ? v->hash : "");
    o.Set("isa", isaName(dnnl::get_effective_cpu_isa()));
    o.Set("threads", omp_get_max_threads());
    o.Set("cachedWeights", static_cast<double>(cachedWeightCount()));
    o.Set("workspaces", static_cast<double>(workspaceCount()));
    return o;
  });
}

static Napi::Value SetThreads(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    double n = number(info, 0, "threads");
    if (!(n >= 1 && n <= 1024) || n != static_cast<int>(n)) fail("threads must be an integer from 1 to 1024, got " + std::to_string(n));
    omp_set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
}

static Napi::Value Release(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    const double key = number(info, 0, "tensor key");
    releaseWeights(key);
    releaseWorkspace(key);
    return info.Env().Undefined();
  });
}

static Napi::Value ClearCaches(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    clearCaches();
    clearConvCaches();
    clearBatchNormCaches();
    clearPoolCaches();
    return info.Env().Undefined();
  });
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("clearCaches", Napi::Function::New(env, ClearCaches));
  registerConv(env, exports);
  registerBatchNorm(env, exports);
  registerPool(env, exports);
  registerElementwise(env, exports);
  registerReduce(env, exports);
  registerMatmul(env, exports);
  return exports;
}

}  // namespace rn

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rn::Init(env, exports); }

NODE_API_MODULE(resnet_onednn, InitModule)
