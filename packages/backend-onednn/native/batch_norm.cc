// Batch normalization (Sec. 3.4 of the paper: BN right after each convolution), NHWC, in the three
// forms a ResNet needs: training (batch statistics, ReLU fused), inference (running statistics)
// and the training gradient. oneDNN's NHWC batch norm is ~6x faster than NCHW here, and its fused
// ReLU is free (README.md, "Why it is built this way").
//
// With the ReLU fused, the forward keeps oneDNN's workspace (one bit per value: where the ReLU
// passed) under the key of its output y, and the gradient, which receives y (kernel contract in
// @resnet/core: ResNetBatchNormTrainingGrad), uses it when it is there: one pass instead of a mask
// pass over y and dy plus the backward. Without it (y from elsewhere) dy is masked by y > 0 first.
// A workspace is released with y's tensor (release(key)) and reused for the next forward.
#include <omp.h>

#include "common.h"

namespace rn {

using namespace dnnl;

namespace {

struct Dims4 {
  int64_t n, h, w, c;
  std::string key;
  int64_t size() const { return n * h * w * c; }
  memory::desc desc() const { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }
  memory::desc cdesc() const { return memory::desc({c}, dt::f32, tag::a); }
};

Dims4 dims4(const Napi::CallbackInfo &info, size_t i) {
  auto s = ints(info, i, 4, "batch norm shape");
  for (auto v : s)
    if (v <= 0) fail("batch norm: shape must be positive, got " + dimsStr(s));
  return Dims4{s[0], s[1], s[2], s[3], dimsStr(s)};
}

struct Fwd {
  batch_normalization_forward::primitive_desc pd;
  batch_normalization_forward prim;
};
struct Bwd {
  batch_normalization_backward::primitive_desc pd;
  batch_normalization_backward prim;
};

std::unordered_map<std::string, std::unique_ptr<Fwd>> forwards;
std::unordered_map<std::string, std::unique_ptr<Bwd>> backwards;

// Workspaces by the key of the y they belong to, and released ones by size for reuse.
std::unordered_map<double, memory> workspaces;
std::unordered_map<size_t, std::vector<memory>> freeWorkspaces;

memory takeWorkspace(const memory::desc &desc) {
  auto &list = freeWorkspaces[desc.get_size()];
  if (!list.empty()) {
    memory m = list.back();
    list.pop_back();
    if (m.get_desc() == desc) return m;
  }
  return memory(desc, eng());
}

const normalization_flags SCALE_SHIFT = normalization_flags::use_scale | normalization_flags::use_shift;

Fwd &trainingForward(const Dims4 &d, float eps, bool relu) {
  std::string k = "t" + std::string(relu ? "r" : "") + d.key + std::to_string(eps);
  return cached<Fwd>(forwards, k, [&] {
    auto flags = relu ? SCALE_SHIFT | normalization_flags::fuse_norm_relu : SCALE_SHIFT;
    auto pd = batch_normalization_forward::primitive_desc(batch_normalization_forward::desc(prop_kind::forward_training, d.desc(), eps, flags), eng());
    return std::make_unique<Fwd>(Fwd{pd, batch_normalization_forward(pd)});
  });
}

}  // namespace

void releaseWorkspace(double key) {
  auto it = workspaces.find(key);
  if (it == workspaces.end()) return;
  freeWorkspaces[it->second.get_desc().get_size()].push_back(it->second);
  workspaces.erase(it);
}

size_t workspaceCount() { return workspaces.size(); }

// batchNormTraining(shape[N,H,W,C], x, gamma, beta, epsilon, relu, y, mean, variance, yKey)
static Napi::Value BatchNormTraining(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Dims4 d = dims4(info, 0);
    float *x = f32(info, 1, d.size(), "batch norm x");
    float *gamma = f32(info, 2, d.c, "batch norm scale");
    float *beta = f32(info, 3, d.c, "batch norm offset");
    float eps = static_cast<float>(number(info, 4, "batch norm epsilon"));
    bool relu = boolean(info, 5, "batch norm relu");
    float *y = f32(info, 6, d.size(), "batch norm y");
    float *mean = f32(info, 7, d.c, "batch norm mean");
    float *var = f32(info, 8, d.c, "batch norm variance");
    double yKey = number(info, 9, "batch norm output key");
    Fwd &f = trainingForward(d, eps, relu);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(d.desc(), eng(), x)},
                                         {DNNL_ARG_DST, memory(d.desc(), eng(), y)},
                                         {DNNL_ARG_SCALE, memory(d.cdesc(), eng(), gamma)},
                                         {DNNL_ARG_SHIFT, memory(d.cdesc(), eng(), beta)},
                                         {DNNL_ARG_MEAN, memory(d.cdesc(), eng(), mean)},
                                         {DNNL_ARG_VARIANCE, memory(d.cdesc(), eng(), var)}};
    if (relu) {
      releaseWorkspace(yKey);
      memory ws = takeWorkspace(f.pd.workspace_desc());
      args.emplace(DNNL_ARG_WORKSPACE, ws);
      if (yKey >= 0) workspaces.emplace(yKey, ws);
    }
    f.prim.execute(strm(), args);
    strm().wait();
    return info.Env().Undefined();
  });
}

// batchNormInference(shape, x, mean, variance, gamma, beta, epsilon, relu, y)
static Napi::Value BatchNormInference(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Dims4 d = dims4(info, 0);
    float *x = f32(info, 1, d.size(), "batch norm x");
    float *mean = f32(info, 2, d.c, "batch norm mean");
    float *var = f32(info, 3, d.c, "batch norm variance");
    float *gamma = f32(info, 4, d.c, "batch norm scale");
    float *beta = f32(info, 5, d.c, "batch norm offset");
    float eps = static_cast<float>(number(info, 6, "batch norm epsilon"));
    bool relu = boolean(info, 7, "batch norm relu");
    float *y = f32(info, 8, d.size(), "batch norm y");
    std::string k = "i" + std::string(relu ? "r" : "") + d.key + std::to_string(eps);
    Fwd &f = cached<Fwd>(forwards, k, [&] {
      auto flags = SCALE_SHIFT | normalization_flags::use_global_stats;
      if (relu) flags = flags | normalization_flags::fuse_norm_relu;
      auto pd = batch_normalization_forward::primitive_desc(batch_normalization_forward::desc(prop_kind::forward_inference, d.desc(), eps, flags), eng());
      return std::make_unique<Fwd>(Fwd{pd, batch_normalization_forward(pd)});
    });
    f.prim.execute(strm(), {{DNNL_ARG_SRC, memory(d.desc(), eng(), x)},
                            {DNNL_ARG_DST, memory(d.desc(), eng(), y)},
                            {DNNL_ARG_SCALE, memory(d.cdesc(), eng(), gamma)},
                            {DNNL_ARG_SHIFT, memory(d.cdesc(), eng(), beta)},
                            {DNNL_ARG_MEAN, memory(d.cdesc(), eng(), mean)},
                            {DNNL_ARG_VARIANCE, memory(d.cdesc(), eng(), var)}});
    strm().wait();
    return info.Env().Undefined();
  });
}

// batchNormTrainingGrad(shape, dy, x, gamma, mean, variance, y|null (relu when given), epsilon, dx, dGamma, dBeta, yKey)
static Napi::Value BatchNormTrainingGrad(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Dims4 d = dims4(info, 0);
    float *dy = f32(info, 1, d.size(), "batch norm dy");
    float *x = f32(info, 2, d.size(), "batch norm x");
    float *gamma = f32(info, 3, d.c, "batch norm scale");
    float *mean = f32(info, 4, d.c, "batch norm mean");
    float *var = f32(info, 5, d.c, "batch norm variance");
    float *y = f32OrNull(info, 6, d.size(), "batch norm y");
    float eps = static_cast<float>(number(info, 7, "batch norm epsilon"));
    float *dx = f32(info, 8, d.size(), "batch norm dx");
    float *dGamma = f32(info, 9, d.c, "batch norm dScale");
    float *dBeta = f32(info, 10, d.c, "batch norm dOffset");
    double yKey = number(info, 11, "batch norm output key");
    const float *g = dy;
    auto ws = y ? workspaces.find(yKey) : workspaces.end();
    const bool fusedRelu = ws != workspaces.end() && ws->second.get_desc() == trainingForward(d, eps, true).pd.workspace_desc();
    if (y && !fusedRelu) {
      // The fused ReLU's gradient: dy where the output was positive. Written into dx, which the
      // backward pass may read and overwrite in place.
      const int64_t n = d.size();
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
      g = dx;
    }
    Fwd &hint = trainingForward(d, eps, fusedRelu);
    Bwd &b = cached<Bwd>(backwards, (fusedRelu ? "r" : "") + d.key + std::to_string(eps), [&] {
      auto flags = fusedRelu ? SCALE_SHIFT | normalization_flags::fuse_norm_relu : SCALE_SHIFT;
      auto desc = batch_normalization_backward::desc(prop_kind::backward, d.desc(), d.desc(), eps, flags);
      auto pd = batch_normalization_backward::primitive_desc(desc, eng(), hint.pd);
      return std::make_unique<Bwd>(Bwd{pd, batch_normalization_backward(pd)});
    });
    // oneDNN 2.6's backward asks for the shift too (with use_shift), though the gradient does not use it.
    float *zeroShift = scratch(11, d.c);
    std::fill(zeroShift, zeroShift + d.c, 0.f);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(d.desc(), eng(), x)},
                            {DNNL_ARG_DIFF_DST, memory(d.desc(), eng(), const_cast<float *>(g))},
                            {DNNL_ARG_SCALE, memory(d.cdesc(), eng(), gamma)},
                            {DNNL_ARG_SHIFT, memory(d.cdesc(), eng(), zeroShift)},
                            {DNNL_ARG_MEAN, memory(d.cdesc(), eng(), mean)},
                            {DNNL_ARG_VARIANCE, memory(d.cdesc(), eng(), var)},
                            {DNNL_ARG_DIFF_SRC, memory(d.desc(), eng(), dx)},
                            {DNNL_ARG_DIFF_SCALE, memory(d.cdesc(), eng(), dGamma)},
                            {DNNL_ARG_DIFF_SHIFT, memory(d.cdesc(), eng(), dBeta)}};
    if (fusedRelu) args.emplace(DNNL_ARG_WORKSPACE, ws->second);
    b.prim.execute(strm(), args);
    strm().wait();
    return info.Env().Undefined();
  });
}

void clearBatchNormCaches() {
  forwards.clear();
  backwards.clear();
  workspaces.clear();
  freeWorkspaces.clear();
}

void registerBatchNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormTraining", Napi::Function::New(env, BatchNormTraining));
  exports.Set("batchNormInference", Napi::Function::New(env, BatchNormInference));
  exports.Set("batchNormTrainingGrad", Napi::Function::New(env, BatchNormTrainingGrad));
}

}  // namespace rn
