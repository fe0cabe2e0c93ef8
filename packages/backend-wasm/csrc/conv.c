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
#include "kernels.h"

#define TILE_M 4
#define TILE_N 8
#define M_BLOCK 256  // a multiple of TILE_M

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

EXPORT(conv2d_nhwc)
int conv2d_nhwc(const float *x, size_t n, size_t h, size_t w, size_t cin, const float *filter, size_t kh, size_t kw, size_t cout,
                size_t sh, size_t sw, size_t top, size_t left, size_t oh, size_t ow, float *y, void *scratch, size_t scratch_bytes) {
  if (n == 0 || h == 0 || w == 0 || cin == 0 || kh == 0 || kw == 0 || cout == 0 || sh == 0 || sw == 0 || oh == 0 || ow == 0)
    return RN_BAD_SIZE;
  const size_t ohw = rn_mul_size(oh, ow), m_total = rn_mul_size(n, ohw);
  if (ohw == 0 || m_total == 0 || rn_mul_size(m_total, cout) == 0 || rn_mul_size(rn_mul_size(n, h), rn_mul_size(w, cin)) == 0)
    return RN_BAD_SIZE;
  // Window corners must be representable (tap() checks every row it reads against the image, so
  // any geometry reads only inside x; the caller's computeConv2DInfo makes it the right one).
  if ((oh - 1) > (size_t)PTRDIFF_MAX / sh || (ow - 1) > (size_t)PTRDIFF_MAX / sw || top > (size_t)PTRDIFF_MAX || left > (size_t)PTRDIFF_MAX)
    return RN_BAD_SIZE;
  const size_t need = conv2d_scratch_bytes(kh, kw, cin, cout);
  if (need == 0 || scratch_bytes < need) return RN_BAD_SCRATCH;

  const size_t k_total = kh * kw * cin, panels = round_up(cout, TILE_N) / TILE_N;
  float *packed = (float *)scratch;
  float *zeros = packed + k_total * panels * TILE_N;
  for (size_t p = 0; p < panels; p++)
    for (size_t k = 0; k < k_total; k++)
      for (size_t j = 0; j < TILE_N; j++) {
        const size_t co = p * TILE_N + j;
        packed[(p * k_total + k) * TILE_N + j] = co < cout ? filter[k * cout + co] : 0.f;
      }
  for (size_t i = 0; i < cin; i++) zeros[i] = 0.f;

  // Blocks of M_BLOCK pixels: within one, each panel of the packed filter (K × 8 floats, ≤ 20 KB
  // for ResNet layers) stays in L1 while the block's tiles stream through it, and the block's input
  // rows stay in L2 across the panels.
  for (size_t mb = 0; mb < m_total; mb += M_BLOCK) {
    const size_t m_end = m_total - mb < M_BLOCK ? m_total : mb + M_BLOCK;
    for (size_t p = 0; p < panels; p++) {
      for (size_t m0 = mb; m0 < m_end; m0 += TILE_M) {
        const size_t rows = m_end - m0 < TILE_M ? m_end - m0 : TILE_M;
        // Rows past the end of the output repeat the last pixel (its values are computed, not stored).
        const Pixel q0 = pixel_at(m0, ohw, ow, h, w, cin, sh, sw, top, left);
        const Pixel q1 = rows > 1 ? pixel_at(m0 + 1, ohw, ow, h, w, cin, sh, sw, top, left) : q0;
        const Pixel q2 = rows > 2 ? pixel_at(m0 + 2, ohw, ow, h, w, cin, sh, sw, top, left) : q1;
        const Pixel q3 = rows > 3 ? pixel_at(m0 + 3, ohw, ow, h, w, cin, sh, sw, top, left) : q2;
        v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const float *wk = packed + p * k_total * TILE_N;
        for (size_t a = 0; a < kh; a++) {
          for (size_t b = 0; b < kw; b++) {
            const float *p0 = tap(x, zeros, q0, h, w, cin, a, b), *p1 = tap(x, zeros, q1, h, w, cin, a, b);
            const float *p2 = tap(x, zeros, q2, h, w, cin, a, b), *p3 = tap(x, zeros, q3, h, w, cin, a, b);
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
        // The last panel of a Cout that is not a multiple of 8 stores fewer columns.
        const size_t co = p * TILE_N, count = cout - co;
        float *out = y + m0 * cout + co;
        store_row(out, count, c00, c01);
        if (rows > 1) store_row(out + cout, count, c10, c11);
        if (rows > 2) store_row(out + 2 * cout, count, c20, c21);
        if (rows > 3) store_row(out + 3 * cout, count, c30, c31);
      }
    }
  }
  return RN_OK;
}
