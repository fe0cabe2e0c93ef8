// 2-D convolution forward, NHWC input, HWIO filter, as a GEMM without an im2col buffer:
//
//   y[m, co] = Σ_k A[m, k]·W[k, co],   m = (n, oy, ox),  k = (a, b, ci),
//   A[m, k] = x[n, oy·sh + a − top, ox·sw + b − left, ci]  (0 outside the image)
//
// The HWIO filter already is W as a [K, Cout] matrix; it is packed once per call into panels of 8
// columns ([Cout/8][K][8], the last panel zero-padded). The output is computed in register tiles of
// 4 output pixels × 8 channels (8 f32x4 accumulators: more rows spill registers in V8): for each
// tap (a, b) the 4 pixels' input rows are Cin contiguous floats (or a row of zeros for padding),
// so A is read straight from x, each value broadcast against a panel row. A 1×1 convolution is the
// same loop with one tap: a plain GEMM over the pixels.
//
// The same kernel computes the input gradient of a stride-1 convolution (transform = 1): that is a
// convolution of dY with the filter flipped in space and its channel axes swapped,
// W'[a, b, co, ci] = W[KH−1−a, KW−1−b, ci, co], which the packing reads in place. An optional
// bias per output channel and a ReLU are applied as the tiles are stored (tfjs's FusedConv2D, the
// folded inference of @resnet/core's fold_bn.ts). The work items of the thread pool (csrc/pool.c)
// are blocks of M_BLOCK pixels × groups of PANEL_GROUP panels: each writes its own part of y.
#include "kernels.h"

#define TILE_M 4
#define TILE_N 8
#define M_BLOCK 256     // a multiple of TILE_M
#define PANEL_GROUP 8   // panels of 8 output channels per work item: 64 channels

static inline size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Scratch: the packed filter (K × Cout rounded up to 8 floats), then a row of Cin zeros.
EXPORT(conv2d_scratch_bytes) size_t conv2d_scratch_bytes(size_t kh, size_t kw, size_t cin, size_t cout) {
  const size_t k = rn_mul_size(rn_mul_size(kh, kw), cin);
  const size_t packed = rn_mul_size(k, round_up(cout, TILE_N));
  if (k == 0 || packed == 0 || packed + cin < packed) return 0;
  return rn_mul_size(packed + cin, sizeof(float));
}

// An output pixel's image (as the offset of its first input row) and the top-left corner of its
// window in the input, which is negative in the padding: computed once per tile.
typedef struct {
  size_t image;  // (n·H)·W·Cin: the start of image n
  ptrdiff_t y0, x0;
} Pixel;

static inline Pixel pixel_at(size_t m, size_t ohw, size_t ow, size_t h, size_t w, size_t cin, size_t sh, size_t sw, size_t top,
                             size_t left) {
  const size_t n = m / ohw, rest = m - n * ohw, oy = rest / ow, ox = rest - oy * ow;
  const Pixel p = {n * h * w * cin, (ptrdiff_t)(oy * sh) - (ptrdiff_t)top, (ptrdiff_t)(ox * sw) - (ptrdiff_t)left};
  return p;
}

// Where a pixel's input row for tap (a, b) starts, or `zeros` when the tap falls in the padding.
static inline const float *tap(const float *x, const float *zeros, Pixel p, size_t h, size_t w, size_t cin, size_t a, size_t b) {
  const ptrdiff_t iy = p.y0 + (ptrdiff_t)a, ix = p.x0 + (ptrdiff_t)b;
  if (iy < 0 || ix < 0 || (size_t)iy >= h || (size_t)ix >= w) return zeros;
  return x + p.image + ((size_t)iy * w + (size_t)ix) * cin;
}

// Stores the first `count` (1 to 8) of the 8 floats lo, hi at out. No arrays: the module has no stack.
static inline void store_row(float *out, size_t count, v128_t lo, v128_t hi) {
  if (count >= TILE_N) {
    wasm_v128_store(out, lo);
    wasm_v128_store(out + 4, hi);
    return;
  }
  if (count >= 4) {
    wasm_v128_store(out, lo);
    out += 4;
    count -= 4;
    lo = hi;
  }
  if (count > 0) out[0] = wasm_f32x4_extract_lane(lo, 0);
  if (count > 1) out[1] = wasm_f32x4_extract_lane(lo, 1);
  if (count > 2) out[2] = wasm_f32x4_extract_lane(lo, 2);
}

typedef struct {
  const float *x, *packed, *zeros, *bias;
  float *y;
  uint32_t h, w, cin, kh, kw, cout, sh, sw, top, left, oh, ow, relu, m_total, panel_groups;
} ConvArgs;

_Static_assert(sizeof(ConvArgs) <= sizeof(((RnJob *)0)->args), "ConvArgs must fit in a job");

// The first `count` floats at p (the rest 0): a bias vector's last panel may end inside it.
static inline v128_t load_upto(const float *p, size_t count) {
  if (count >= 4) return wasm_v128_load(p);
  return wasm_f32x4_make(p[0], count > 1 ? p[1] : 0.f, count > 2 ? p[2] : 0.f, 0.f);
}

static inline v128_t epilogue(v128_t v, v128_t bias, int relu) {
  v = wasm_f32x4_add(v, bias);
  return relu ? wasm_f32x4_pmax(v, wasm_f32x4_splat(0.f)) : v;
}

// One block of M_BLOCK output pixels, one group of PANEL_GROUP panels (8 output channels each).
void rn_conv2d_item(const RnJob *job, size_t item) {
  const ConvArgs *c = (const ConvArgs *)job->args;
  const size_t h = c->h, w = c->w, cin = c->cin, kh = c->kh, kw = c->kw, cout = c->cout, sh = c->sh, sw = c->sw;
  const size_t top = c->top, left = c->left, ow = c->ow, ohw = (size_t)c->oh * ow, m_total = c->m_total;
  const size_t k_total = kh * kw * cin, panels = round_up(cout, TILE_N) / TILE_N;
  const float *x = c->x, *zeros = c->zeros;
  const size_t mb = item / c->panel_groups * M_BLOCK, group = item % c->panel_groups;
  const size_t m_end = m_total - mb < M_BLOCK ? m_total : mb + M_BLOCK;
  const size_t p_begin = group * PANEL_GROUP, p_end = panels - p_begin < PANEL_GROUP ? panels : p_begin + PANEL_GROUP;
  // Within a block, each panel of the packed filter (K × 8 floats, ≤ 20 KB for ResNet-20's layers)
  // stays in L1 while the block's tiles stream through it, and the block's input rows stay in L2.
  for (size_t p = p_begin; p < p_end; p++) {
    const size_t co = p * TILE_N, count = cout - co;
    const v128_t bias0 = c->bias ? load_upto(c->bias + co, count) : wasm_f32x4_splat(0.f);
    const v128_t bias1 = c->bias && count > 4 ? load_upto(c->bias + co + 4, count - 4) : wasm_f32x4_splat(0.f);
    for (size_t m0 = mb; m0 < m_end; m0 += TILE_M) {
      const size_t rows = m_end - m0 < TILE_M ? m_end - m0 : TILE_M;
      // Rows past the end of the block repeat the last pixel (its values are computed, not stored).
      const Pixel q0 = pixel_at(m0, ohw, ow, h, w, cin, sh, sw, top, left);
      const size_t ox0 = (m0 % ohw) % ow;
      // Four pixels of one output row: their taps are 4 input pixels sw apart, so for a tap whose
      // first and last pixel lie in the image, the 4 rows are found by adding (the common case).
      const int one_row = rows == TILE_M && ox0 + TILE_M <= ow;
      Pixel q1 = q0, q2 = q0, q3 = q0;
      if (!one_row) {
        q1 = rows > 1 ? pixel_at(m0 + 1, ohw, ow, h, w, cin, sh, sw, top, left) : q0;
        q2 = rows > 2 ? pixel_at(m0 + 2, ohw, ow, h, w, cin, sh, sw, top, left) : q1;
        q3 = rows > 3 ? pixel_at(m0 + 3, ohw, ow, h, w, cin, sh, sw, top, left) : q2;
      }
      v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float *wk = c->packed + p * k_total * TILE_N;
      for (size_t a = 0; a < kh; a++) {
        for (size_t b = 0; b < kw; b++) {
          const float *p0, *p1, *p2, *p3;
          const ptrdiff_t iy = q0.y0 + (ptrdiff_t)a, ix = q0.x0 + (ptrdiff_t)b, last = ix + (ptrdiff_t)((TILE_M - 1) * sw);
          if (one_row && iy >= 0 && (size_t)iy < h && ix >= 0 && (size_t)last < w) {
            p0 = x + q0.image + ((size_t)iy * w + (size_t)ix) * cin;
            p1 = p0 + sw * cin, p2 = p1 + sw * cin, p3 = p2 + sw * cin;
          } else if (one_row) {
            const Pixel r1 = {q0.image, q0.y0, q0.x0 + (ptrdiff_t)sw}, r2 = {q0.image, q0.y0, q0.x0 + (ptrdiff_t)(2 * sw)};
            const Pixel r3 = {q0.image, q0.y0, q0.x0 + (ptrdiff_t)(3 * sw)};
            p0 = tap(x, zeros, q0, h, w, cin, a, b), p1 = tap(x, zeros, r1, h, w, cin, a, b);
            p2 = tap(x, zeros, r2, h, w, cin, a, b), p3 = tap(x, zeros, r3, h, w, cin, a, b);
          } else {
            p0 = tap(x, zeros, q0, h, w, cin, a, b), p1 = tap(x, zeros, q1, h, w, cin, a, b);
            p2 = tap(x, zeros, q2, h, w, cin, a, b), p3 = tap(x, zeros, q3, h, w, cin, a, b);
          }
          for (size_t ci = 0; ci < cin; ci++, wk += TILE_N) {
            const v128_t b0 = wasm_v128_load(wk), b1 = wasm_v128_load(wk + 4);
            const v128_t a0 = wasm_v128_load32_splat(p0 + ci), a1 = wasm_v128_load32_splat(p1 + ci);
            const v128_t a2 = wasm_v128_load32_splat(p2 + ci), a3 = wasm_v128_load32_splat(p3 + ci);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
            c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
            c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
            c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
            c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
            c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
            c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
          }
        }
      }
      if (c->bias || c->relu) {
        c00 = epilogue(c00, bias0, c->relu), c01 = epilogue(c01, bias1, c->relu);
        c10 = epilogue(c10, bias0, c->relu), c11 = epilogue(c11, bias1, c->relu);
        c20 = epilogue(c20, bias0, c->relu), c21 = epilogue(c21, bias1, c->relu);
        c30 = epilogue(c30, bias0, c->relu), c31 = epilogue(c31, bias1, c->relu);
      }
      // The last panel of a Cout that is not a multiple of 8 stores fewer columns.
      float *out = c->y + m0 * cout + co;
      store_row(out, count, c00, c01);
      if (rows > 1) store_row(out + cout, count, c10, c11);
      if (rows > 2) store_row(out + 2 * cout, count, c20, c21);
      if (rows > 3) store_row(out + 3 * cout, count, c30, c31);
    }
  }
}

typedef struct {
  const float *filter;
  float *packed;
  uint32_t kh, kw, cin, cout, transform;
} PackArgs;

_Static_assert(sizeof(PackArgs) <= sizeof(((RnJob *)0)->args), "PackArgs must fit in a job");

// One panel of the filter as panels of 8 output channels, [Cout/8][K][8] (the last one zero-padded).
// With transform = 0 the filter is HWIO [kh, kw, cin, cout]; with 1 it is the forward filter
// [kh, kw, cout, cin] of the convolution whose input gradient this is, read flipped and transposed.
void rn_conv2d_pack_item(const RnJob *job, size_t p) {
  const PackArgs *a = (const PackArgs *)job->args;
  const size_t kh = a->kh, kw = a->kw, cin = a->cin, cout = a->cout, k_total = kh * kw * cin;
  for (size_t ty = 0; ty < kh; ty++)
    for (size_t tx = 0; tx < kw; tx++)
      for (size_t ci = 0; ci < cin; ci++) {
        const size_t k = (ty * kw + tx) * cin + ci;
        // transform: W'[a, b, ci, co] = W[kh−1−a, kw−1−b, co, ci], W of shape [kh, kw, cout, cin].
        const float *row = a->transform ? a->filter + ((kh - 1 - ty) * kw + (kw - 1 - tx)) * cout * cin + ci : a->filter + k * cout;
        const size_t step = a->transform ? cin : 1;
        float *out = a->packed + (p * k_total + k) * TILE_N;
        for (size_t j = 0; j < TILE_N; j++) {
          const size_t co = p * TILE_N + j;
          out[j] = co < cout ? row[co * step] : 0.f;
        }
      }
}

EXPORT(conv2d_nhwc)
int conv2d_nhwc(RnJob *job, const float *x, size_t n, size_t h, size_t w, size_t cin, const float *filter, size_t kh, size_t kw,
                size_t cout, size_t sh, size_t sw, size_t top, size_t left, size_t oh, size_t ow, const float *bias, int relu,
                int transform, float *y, void *scratch, size_t scratch_bytes, int prepacked) {
  if (n == 0 || h == 0 || w == 0 || cin == 0 || kh == 0 || kw == 0 || cout == 0 || sh == 0 || sw == 0 || oh == 0 || ow == 0)
    return RN_BAD_SIZE;
  const size_t ohw = rn_mul_size(oh, ow), m_total = rn_mul_size(n, ohw);
  if (ohw == 0 || m_total == 0 || rn_mul_size(m_total, cout) == 0 || rn_mul_size(rn_mul_size(n, h), rn_mul_size(w, cin)) == 0)
    return RN_BAD_SIZE;
  // Window corners must be representable (tap() checks every row it reads against the image, so
  // any geometry reads only inside x; the caller's computeConv2DInfo makes it the right one).
  if ((oh - 1) > (size_t)PTRDIFF_MAX / sh || (ow - 1) > (size_t)PTRDIFF_MAX / sw || top > (size_t)PTRDIFF_MAX || left > (size_t)PTRDIFF_MAX)
    return RN_BAD_SIZE;
  if (m_total > UINT32_MAX || (transform != 0 && transform != 1) || (relu != 0 && relu != 1) || (prepacked != 0 && prepacked != 1))
    return RN_BAD_SIZE;
  const size_t need = conv2d_scratch_bytes(kh, kw, cin, cout);
  if (need == 0 || scratch_bytes < need) return RN_BAD_SCRATCH;

  float *packed = (float *)scratch;
  float *zeros = packed + kh * kw * cin * round_up(cout, TILE_N);
  // The scratch holds the packed filter already when the caller kept it from an earlier call with
  // the same filter (src/kernels/Conv2D.ts: inference reuses its weights), else it is packed here.
  if (!prepacked) {
    PackArgs *a = (PackArgs *)job->args;
    a->filter = filter, a->packed = packed, a->kh = kh, a->kw = kw, a->cin = cin, a->cout = cout, a->transform = transform;
    rn_parallel(job, RN_JOB_CONV2D_PACK, round_up(cout, TILE_N) / TILE_N);
  }
  for (size_t i = 0; i < cin; i++) zeros[i] = 0.f;

  ConvArgs *c = (ConvArgs *)job->args;
  c->x = x, c->packed = packed, c->zeros = zeros, c->bias = bias, c->y = y;
  c->h = h, c->w = w, c->cin = cin, c->kh = kh, c->kw = kw, c->cout = cout, c->sh = sh, c->sw = sw;
  c->top = top, c->left = left, c->oh = oh, c->ow = ow, c->relu = relu, c->m_total = m_total;
  // Work items: blocks of pixels × groups of output channels, so that a layer with few pixels
  // (ResNet-50's conv5_x at batch 8: 392) still gives every thread a share.
  c->panel_groups = (round_up(cout, TILE_N) / TILE_N + PANEL_GROUP - 1) / PANEL_GROUP;
  rn_parallel(job, RN_JOB_CONV2D, (m_total + M_BLOCK - 1) / M_BLOCK * c->panel_groups);
  return RN_OK;
}
