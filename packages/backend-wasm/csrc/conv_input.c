// The input gradient of a strided 2-D convolution (NHWC dY, HWIO W, NHWC dX), as a GEMM whose rows
// are scattered (col2im):
//
//   dX[n, oy·sh + a − top, ox·sw + b − left, ci] += Σ_co dY[n, oy, ox, co] · W[a, b, ci, co]
//
// for every output pixel (n, oy, ox) and tap (a, b) that lands inside the image. With stride 1 the
// gather form in csrc/conv.c (a convolution with the flipped filter) is better: it writes each dX
// value once. With stride s it would run on dY with s − 1 zeros inserted between pixels, s² times
// the work; this form does only the products that exist.
//
// Per 4 pixels of an output row, each tap and each 8 input channels: a 4×8 register tile summed over
// Cout (dY's rows are Cout contiguous floats, broadcast against a packed filter panel), then added
// into the 4 dX rows the tap reaches. Taps of different pixels reach the same dX values, so the
// items of the thread pool are whole images (disjoint parts of dX), each summed in a fixed order.
#include "kernels.h"

#define TILE_M 4
#define TILE_N 8

typedef struct {
  const float *dy, *packed;
  float *dx;
  uint32_t h, w, cin, oh, ow, cout, kh, kw, sh, sw, top, left;
} InputArgs;

_Static_assert(sizeof(InputArgs) <= sizeof(((RnJob *)0)->args), "InputArgs must fit in a job");

static inline size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Scratch: the filter as [KH·KW][Cin/8][Cout][8] panels (the last one zero-padded).
EXPORT(conv2d_input_scratch_bytes) size_t conv2d_input_scratch_bytes(size_t kh, size_t kw, size_t cin, size_t cout) {
  const size_t floats = rn_mul_size(rn_mul_size(rn_mul_size(kh, kw), round_up(cin, TILE_N)), cout);
  return floats == 0 ? 0 : rn_mul_size(floats, sizeof(float));
}

// out[0..count) += the first count (1 to 8) of the 8 floats lo, hi.
static inline void add_row(float *out, size_t count, v128_t lo, v128_t hi) {
  if (count >= TILE_N) {
    wasm_v128_store(out, wasm_f32x4_add(wasm_v128_load(out), lo));
    wasm_v128_store(out + 4, wasm_f32x4_add(wasm_v128_load(out + 4), hi));
    return;
  }
  if (count >= 4) {
    wasm_v128_store(out, wasm_f32x4_add(wasm_v128_load(out), lo));
    out += 4;
    count -= 4;
    lo = hi;
  }
  if (count > 0) out[0] += wasm_f32x4_extract_lane(lo, 0);
  if (count > 1) out[1] += wasm_f32x4_extract_lane(lo, 1);
  if (count > 2) out[2] += wasm_f32x4_extract_lane(lo, 2);
}

// Where output column ox's tap column b lands in dX's row, or NULL outside the image.
static inline float *target(float *row, size_t ox, size_t b, size_t sw, size_t left, size_t w, size_t cin) {
  const size_t ix_plus = ox * sw + b;  // ix + left
  if (ix_plus < left || ix_plus - left >= w) return NULL;
  return row + (ix_plus - left) * cin;
}

// One image: dX[n] zeroed, then every pixel's contributions added.
void rn_conv2d_input_item(const RnJob *job, size_t n) {
  const InputArgs *g = (const InputArgs *)job->args;
  const size_t h = g->h, w = g->w, cin = g->cin, oh = g->oh, ow = g->ow, cout = g->cout, kh = g->kh, kw = g->kw;
  const size_t sh = g->sh, sw = g->sw, top = g->top, left = g->left, panels = round_up(cin, TILE_N) / TILE_N;
  float *dx = g->dx + n * h * w * cin;
  for (size_t i = 0, size = h * w * cin; i < size; i++) dx[i] = 0.f;
  for (size_t oy = 0; oy < oh; oy++) {
    const float *dy_row = g->dy + (n * oh + oy) * ow * cout;
    for (size_t ox0 = 0; ox0 < ow; ox0 += TILE_M) {
      const size_t rows = ow - ox0 < TILE_M ? ow - ox0 : TILE_M;
      // Pixels past the row's end repeat its last one (computed, never added).
      const float *d0 = dy_row + ox0 * cout;
      const float *d1 = rows > 1 ? d0 + cout : d0, *d2 = rows > 2 ? d1 + cout : d1, *d3 = rows > 3 ? d2 + cout : d2;
      for (size_t a = 0; a < kh; a++) {
        const size_t iy_plus = oy * sh + a;
        if (iy_plus < top || iy_plus - top >= h) continue;
        float *dx_row = dx + (iy_plus - top) * w * cin;
        for (size_t b = 0; b < kw; b++) {
          float *t0 = target(dx_row, ox0, b, sw, left, w, cin);
          float *t1 = rows > 1 ? target(dx_row, ox0 + 1, b, sw, left, w, cin) : NULL;
          float *t2 = rows > 2 ? target(dx_row, ox0 + 2, b, sw, left, w, cin) : NULL;
          float *t3 = rows > 3 ? target(dx_row, ox0 + 3, b, sw, left, w, cin) : NULL;
          if (!t0 && !t1 && !t2 && !t3) continue;
          for (size_t p = 0; p < panels; p++) {
            const float *wk = g->packed + ((a * kw + b) * panels + p) * cout * TILE_N;
            v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            for (size_t co = 0; co < cout; co++, wk += TILE_N) {
              const v128_t b0 = wasm_v128_load(wk), b1 = wasm_v128_load(wk + 4);
              const v128_t a0 = wasm_v128_load32_splat(d0 + co), a1 = wasm_v128_load32_splat(d1 + co);
              const v128_t a2 = wasm_v128_load32_splat(d2 + co), a3 = wasm_v128_load32_splat(d3 + co);
              c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
              c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
              c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
              c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
              c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
              c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
              c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
              c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
            }
            const size_t ci = p * TILE_N, count = cin - ci;
            if (t0) add_row(t0 + ci, count, c00, c01);
            if (t1) add_row(t1 + ci, count, c10, c11);
            if (t2) add_row(t2 + ci, count, c20, c21);
            if (t3) add_row(t3 + ci, count, c30, c31);
          }
        }
      }
    }
  }
}

EXPORT(conv2d_input_nhwc)
int conv2d_input_nhwc(RnJob *job, const float *dy, size_t n, size_t oh, size_t ow, size_t cout, const float *filter, size_t kh,
                      size_t kw, size_t cin, size_t sh, size_t sw, size_t top, size_t left, size_t h, size_t w, float *dx,
                      void *scratch, size_t scratch_bytes) {
  if (n == 0 || oh == 0 || ow == 0 || cout == 0 || kh == 0 || kw == 0 || cin == 0 || sh == 0 || sw == 0 || h == 0 || w == 0)
    return RN_BAD_SIZE;
  const size_t dx_floats = rn_mul_size(rn_mul_size(n, h), rn_mul_size(w, cin));
  const size_t dy_floats = rn_mul_size(rn_mul_size(n, oh), rn_mul_size(ow, cout));
  if (dx_floats == 0 || dy_floats == 0 || dx_floats > UINT32_MAX || dy_floats > UINT32_MAX || n > UINT32_MAX) return RN_BAD_SIZE;
  // oy·sh + a and ox·sw + b stay far from overflow; each is checked against the image (target(), the row test).
  if ((oh - 1) > (UINT32_MAX - kh) / sh || (ow - 1) > (UINT32_MAX - kw) / sw) return RN_BAD_SIZE;
  const size_t need = conv2d_input_scratch_bytes(kh, kw, cin, cout);
  if (need == 0 || scratch_bytes < need) return RN_BAD_SCRATCH;

  const size_t panels = round_up(cin, TILE_N) / TILE_N;
  float *packed = (float *)scratch;
  for (size_t t = 0; t < kh * kw; t++)
    for (size_t p = 0; p < panels; p++)
      for (size_t co = 0; co < cout; co++)
        for (size_t j = 0; j < TILE_N; j++) {
          const size_t ci = p * TILE_N + j;
          packed[((t * panels + p) * cout + co) * TILE_N + j] = ci < cin ? filter[(t * cin + ci) * cout + co] : 0.f;
        }
  InputArgs *g = (InputArgs *)job->args;
  g->dy = dy, g->packed = packed, g->dx = dx;
  g->h = h, g->w = w, g->cin = cin, g->oh = oh, g->ow = ow, g->cout = cout, g->kh = kh, g->kw = kw;
  g->sh = sh, g->sw = sw, g->top = top, g->left = left;
  rn_parallel(job, RN_JOB_CONV2D_INPUT, n);
  return RN_OK;
}
