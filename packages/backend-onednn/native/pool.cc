// Max and average pooling and their gradients, NHWC. The forwards are oneDNN's; the gradients are
// loops of our own, because oneDNN's max-pool gradient needs the forward's workspace, which a tfjs
// kernel (MaxPoolGrad: dy, x, y) does not carry. Ties go to the first maximum in the window,
// scanning rows then columns, as tfjs's cpu backend does; padding never wins and average pooling
// divides by the in-bounds count (tfjs's semantics, oneDNN's avg_exclude_padding).
#include <omp.h>

#include <cmath>
#include <limits>

#include "common.h"

namespace rn {

using namespace dnnl;

namespace {

// [N, H, W, C, KH, KW, OH, OW, strideH, strideW, padTop, padLeft, padBottom, padRight]
struct PoolGeometry {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, pb, pr;
  std::string key;
};

PoolGeometry poolGeometry(const Napi::CallbackInfo &info, size_t i) {
  auto g = ints(info, i, 14, "pool geometry");
  PoolGeometry r{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], ""};
  for (int k = 0; k < 10; k++)
    if (g[k] <= 0) fail("pool: sizes and strides must be positive, got " + dimsStr(g));
  if (r.pt < 0 || r.pl < 0 || r.pb < 0 || r.pr < 0) fail("pool: pads must be non-negative");
  if ((r.h + r.pt + r.pb - r.kh) / r.sh + 1 != r.oh || (r.w + r.pl + r.pr - r.kw) / r.sw + 1 != r.ow) fail("pool: output size does not follow from " + dimsStr(g));
  if (r.pt >= r.kh || r.pb >= r.kh || r.pl >= r.kw || r.pr >= r.kw) fail("pool: a window would lie wholly in the padding, " + dimsStr(g));
  for (auto v : g) r.key += std::to_string(v) + ",";
  return r;
}

struct Fwd {
  pooling_forward::primitive_desc pd;
  pooling_forward prim;
};
std::unordered_map<std::string, std::unique_ptr<Fwd>> forwards;

}  // namespace

// poolForward(geometry, max (bool), x, y)
static Napi::Value PoolForward(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    PoolGeometry g = poolGeometry(info, 0);
    bool isMax = boolean(info, 1, "pool kind");
    float *x = f32(info, 2, g.n * g.h * g.w * g.c, "pool x");
    float *y = f32(info, 3, g.n * g.oh * g.ow * g.c, "pool y");
    Fwd &f = cached<Fwd>(forwards, (isMax ? "m" : "a") + g.key, [&] {
      memory::desc src({g.n, g.c, g.h, g.w}, dt::f32, tag::nhwc), dst({g.n, g.c, g.oh, g.ow}, dt::f32, tag::nhwc);
      auto d = pooling_forward::desc(prop_kind::forward_inference, isMax ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding, src, dst, {g.sh, g.sw},
                                     {g.kh, g.kw}, {g.pt, g.pl}, {g.pb, g.pr});
      auto pd = pooling_forward::primitive_desc(d, eng());
      return std::make_unique<Fwd>(Fwd{pd, pooling_forward(pd)});
    });
    f.prim.execute(strm(), {{DNNL_ARG_SRC, memory(f.pd.src_desc(), eng(), x)}, {DNNL_ARG_DST, memory(f.pd.dst_desc(), eng(), y)}});
    strm().wait();
    return info.Env().Undefined();
  });
}

// maxPoolBackward(geometry, dy, x, dx)
static Napi::Value MaxPoolBackward(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    PoolGeometry g = poolGeometry(info, 0);
    float *dy = f32(info, 1, g.n * g.oh * g.ow * g.c, "max pool dy");
    float *x = f32(info, 2, g.n * g.h * g.w * g.c, "max pool x");
    float *dx = f32(info, 3, g.n * g.h * g.w * g.c, "max pool dx");
    const int64_t C = g.c;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < g.n; b++) {
      float *dxb = dx + b * g.h * g.w * C;
      const float *xb = x + b * g.h * g.w * C;
      std::fill(dxb, dxb + g.h * g.w * C, 0.f);
      std::vector<float> best(C);
      std::vector<int64_t> where(C);
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) {
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(where.begin(), where.end(), -1);
          for (int64_t ky = 0; ky < g.kh; ky++) {
            const int64_t iy = oy * g.sh - g.pt + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; kx++) {
              const int64_t ix = ox * g.sw - g.pl + kx;
              if (ix < 0 || ix >= g.w) continue;
              const float *p = xb + (iy * g.w + ix) * C;
              for (int64_t c = 0; c < C; c++)
                if (p[c] > best[c] || where[c] < 0) {
                  best[c] = p[c];
                  where[c] = (iy * g.w + ix) * C + c;
                }
            }
          }
          const float *d = dy + ((b * g.oh + oy) * g.ow + ox) * C;
          for (int64_t c = 0; c < C; c++)
            if (where[c] >= 0) dxb[where[c]] += d[c];
        }
    }
    return info.Env().Undefined();
  });
}

// avgPoolBackward(geometry, dy, dx)
static Napi::Value AvgPoolBackward(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    PoolGeometry g = poolGeometry(info, 0);
    float *dy = f32(info, 1, g.n * g.oh * g.ow * g.c, "avg pool dy");
    float *dx = f32(info, 2, g.n * g.h * g.w * g.c, "avg pool dx");
    const int64_t C = g.c;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < g.n; b++) {
      float *dxb = dx + b * g.h * g.w * C;
      std::fill(dxb, dxb + g.h * g.w * C, 0.f);
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t y0 = std::max<int64_t>(0, oy * g.sh - g.pt), y1 = std::min<int64_t>(g.h, oy * g.sh - g.pt + g.kh);
          const int64_t x0 = std::max<int64_t>(0, ox * g.sw - g.pl), x1 = std::min<int64_t>(g.w, ox * g.sw - g.pl + g.kw);
          const float scale = 1.f / static_cast<float>((y1 - y0) * (x1 - x0));
          const float *d = dy + ((b * g.oh + oy) * g.ow + ox) * C;
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) {
              float *p = dxb + (iy * g.w + ix) * C;
              for (int64_t c = 0; c < C; c++) p[c] += d[c] * scale;
            }
        }
    }
    return info.Env().Undefined();
  });
}

void clearPoolCaches() { forwards.clear(); }

void registerPool(Napi::Env env, Napi::Object exports) {
  exports.Set("poolForward", Napi::Function::New(env, PoolForward));
  exports.Set("maxPoolBackward", Napi::Function::New(env, MaxPoolBackward));
  exports.Set("avgPoolBackward", Napi::Function::New(env, AvgPoolBackward));
}

}  // namespace rn
