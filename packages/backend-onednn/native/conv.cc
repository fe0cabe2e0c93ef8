// Convolutions: forward (bias and ReLU fused as post-ops), and both gradients.
//
// Activations stay NHWC, as tfjs holds them; weights come as tfjs's HWIO and are reordered into the
// layout oneDNN picks for each pass (format_tag::any), because with plain HWIO every pass falls back
// to a GEMM path about 4x slower (README.md, "Why it is built this way"). A reorder is cached per weight tensor
// (its key) and layout until tfjs disposes that tensor; training makes new weights every step,
// so there it is one reorder per pass per step, ~0.3 ms for ResNet-20.
#include "common.h"

namespace rn {

using namespace dnnl;

namespace {

// [N, H, W, C, KH, KW, OC, OH, OW, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW]
constexpr size_t GEOMETRY = 17;

struct Geometry {
  int64_t n, h, w, c, kh, kw, oc, oh, ow, sh, sw, pt, pl, pb, pr, dh, dw;
  std::string key;
};

Geometry geometry(const Napi::CallbackInfo &info, size_t i) {
  auto g = ints(info, i, GEOMETRY, "conv2d geometry");
  Geometry r{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16], ""};
  for (int k = 0; k < 9; k++)
    if (g[k] <= 0) fail("conv2d: every size must be positive, got " + dimsStr(g));
  if (r.sh <= 0 || r.sw <= 0 || r.dh <= 0 || r.dw <= 0) fail("conv2d: strides and dilations must be positive");
  if (r.pt < 0 || r.pl < 0 || r.pb < 0 || r.pr < 0) fail("conv2d: pads must be non-negative");
  // The output size must follow from the input, kernel, strides and pads (oneDNN checks it too).
  const int64_t ekh = (r.kh - 1) * r.dh + 1, ekw = (r.kw - 1) * r.dw + 1;
  if ((r.h + r.pt + r.pb - ekh) / r.sh + 1 != r.oh || (r.w + r.pl + r.pr - ekw) / r.sw + 1 != r.ow) {
    fail("conv2d: output size " + std::to_string(r.oh) + "x" + std::to_string(r.ow) + " does not follow from " + dimsStr(g));
  }
  for (auto v : g) r.key += std::to_string(v) + ",";
  return r;
}

memory::dims srcDims(const Geometry &g) { return {g.n, g.c, g.h, g.w}; }
memory::dims dstDims(const Geometry &g) { return {g.n, g.oc, g.oh, g.ow}; }
memory::dims wDims(const Geometry &g) { return {g.oc, g.c, g.kh, g.kw}; }
memory::dims strides(const Geometry &g) { return {g.sh, g.sw}; }
memory::dims dilates(const Geometry &g) { return {g.dh - 1, g.dw - 1}; }
memory::dims padL(const Geometry &g) { return {g.pt, g.pl}; }
memory::dims padR(const Geometry &g) { return {g.pb, g.pr}; }

memory::desc nhwc(const memory::dims &d) { return memory::desc(d, dt::f32, tag::nhwc); }
memory::desc anyLayout(const memory::dims &d) { return memory::desc(d, dt::f32, tag::any); }
memory::desc hwio(const Geometry &g) { return memory::desc(wDims(g), dt::f32, tag::hwio); }

convolution_forward::desc forwardDesc(const Geometry &g, prop_kind kind, bool bias) {
  if (bias) {
    return convolution_forward::desc(kind, algorithm::convolution_direct, nhwc(srcDims(g)), anyLayout(wDims(g)), memory::desc({g.oc}, dt::f32, tag::x), nhwc(dstDims(g)),
                                     strides(g), dilates(g), padL(g), padR(g));
  }
  return convolution_forward::desc(kind, algorithm::convolution_direct, nhwc(srcDims(g)), anyLayout(wDims(g)), nhwc(dstDims(g)), strides(g), dilates(g), padL(g), padR(g));
}

struct Forward {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
};
struct BackwardData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
};
struct BackwardWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  memory diffWeights;  // in the primitive's layout, reused every call
  bool plain;
  reorder toHwio;
};

std::unordered_map<std::string, std::unique_ptr<Forward>> forwards;
std::unordered_map<std::string, std::unique_ptr<BackwardData>> backwardDatas;
std::unordered_map<std::string, std::unique_ptr<BackwardWeights>> backwardWeights;

// The training forward descriptor: the hint both gradients need.
convolution_forward::primitive_desc &trainingForward(const Geometry &g) {
  return cached<Forward>(forwards, "t" + g.key, [&] {
           auto pd = convolution_forward::primitive_desc(forwardDesc(g, prop_kind::forward_training, false), eng());
           return std::make_unique<Forward>(Forward{pd, convolution_forward(pd)});
         })
      .pd;
}

// The user's HWIO weights as a memory in `layout`: themselves when the layouts agree, else a
// reorder, cached under `key` (>= 0) until release(key).
memory weightsIn(const Geometry &g, float *w, const memory::desc &layout, double key) {
  memory user(hwio(g), eng(), w);
  if (layout == user.get_desc()) return user;
  if (key >= 0) {
    if (auto *hit = cachedWeights(key, layout)) return *hit;
  }
  memory out(layout, eng());
  reorder(user, out).execute(strm(), user, out);
  if (key >= 0) storeWeights(key, layout, out);
  return out;
}

}  // namespace

// conv2dForward(geometry, x, w, bias|null, y, relu, weightsKey, training)
static Napi::Value Conv2dForward(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Geometry g = geometry(info, 0);
    float *x = f32(info, 1, g.n * g.h * g.w * g.c, "conv2d x");
    float *w = f32(info, 2, g.kh * g.kw * g.c * g.oc, "conv2d filter");
    float *b = f32OrNull(info, 3, g.oc, "conv2d bias");
    float *y = f32(info, 4, g.n * g.oh * g.ow * g.oc, "conv2d output");
    bool relu = boolean(info, 5, "conv2d relu");
    double key = number(info, 6, "conv2d weights key");
    bool training = boolean(info, 7, "conv2d training");
    std::string k = std::string(training ? "t" : "i") + (b ? "b" : "") + (relu ? "r" : "") + g.key;
    Forward &f = cached<Forward>(forwards, k, [&] {
      primitive_attr attr;
      if (relu) {
        post_ops ops;
        ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
        attr.set_post_ops(ops);
      }
      auto pd = convolution_forward::primitive_desc(forwardDesc(g, training ? prop_kind::forward_training : prop_kind::forward_inference, b != nullptr), attr, eng());
      return std::make_unique<Forward>(Forward{pd, convolution_forward(pd)});
    });
    memory src(f.pd.src_desc(), eng(), x), dst(f.pd.dst_desc(), eng(), y);
    memory wts = weightsIn(g, w, f.pd.weights_desc(), key);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}};
    if (b) args.emplace(DNNL_ARG_BIAS, memory(f.pd.bias_desc(), eng(), b));
    f.prim.execute(strm(), args);
    strm().wait();
    return info.Env().Undefined();
  });
}

// conv2dBackwardData(geometry, dy, w, dx, weightsKey)
static Napi::Value Conv2dBackwardData(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Geometry g = geometry(info, 0);
    float *dy = f32(info, 1, g.n * g.oh * g.ow * g.oc, "conv2d dy");
    float *w = f32(info, 2, g.kh * g.kw * g.c * g.oc, "conv2d filter");
    float *dx = f32(info, 3, g.n * g.h * g.w * g.c, "conv2d dx");
    double key = number(info, 4, "conv2d weights key");
    BackwardData &bd = cached<BackwardData>(backwardDatas, g.key, [&] {
      auto d = convolution_backward_data::desc(algorithm::convolution_direct, nhwc(srcDims(g)), anyLayout(wDims(g)), nhwc(dstDims(g)), strides(g), dilates(g), padL(g), padR(g));
      auto pd = convolution_backward_data::primitive_desc(d, eng(), trainingForward(g));
      return std::make_unique<BackwardData>(BackwardData{pd, convolution_backward_data(pd)});
    });
    memory diffDst(bd.pd.diff_dst_desc(), eng(), dy), diffSrc(bd.pd.diff_src_desc(), eng(), dx);
    memory wts = weightsIn(g, w, bd.pd.weights_desc(), key);
    bd.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    strm().wait();
    return info.Env().Undefined();
  });
}

// conv2dBackwardWeights(geometry, x, dy, dw)  (dw in HWIO)
static Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    Geometry g = geometry(info, 0);
    float *x = f32(info, 1, g.n * g.h * g.w * g.c, "conv2d x");
    float *dy = f32(info, 2, g.n * g.oh * g.ow * g.oc, "conv2d dy");
    float *dw = f32(info, 3, g.kh * g.kw * g.c * g.oc, "conv2d dw");
    BackwardWeights &bw = cached<BackwardWeights>(backwardWeights, g.key, [&] {
      auto d = convolution_backward_weights::desc(algorithm::convolution_direct, nhwc(srcDims(g)), anyLayout(wDims(g)), nhwc(dstDims(g)), strides(g), dilates(g), padL(g), padR(g));
      auto pd = convolution_backward_weights::primitive_desc(d, eng(), trainingForward(g));
      bool plain = pd.diff_weights_desc() == hwio(g);
      memory diff = plain ? memory() : memory(pd.diff_weights_desc(), eng());
      reorder toHwio = plain ? reorder() : reorder(reorder::primitive_desc(eng(), pd.diff_weights_desc(), eng(), hwio(g)));
      return std::make_unique<BackwardWeights>(BackwardWeights{pd, convolution_backward_weights(pd), diff, plain, toHwio});
    });
    memory src(bw.pd.src_desc(), eng(), x), diffDst(bw.pd.diff_dst_desc(), eng(), dy), user(hwio(g), eng(), dw);
    memory diffW = bw.plain ? user : bw.diffWeights;
    bw.prim.execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffW}});
    if (!bw.plain) bw.toHwio.execute(strm(), bw.diffWeights, user);
    strm().wait();
    return info.Env().Undefined();
  });
}

void clearConvCaches() {
  forwards.clear();
  backwardDatas.clear();
  backwardWeights.clear();
}

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardWeights", Napi::Function::New(env, Conv2dBackwardWeights));
}

}  // namespace rn
