// Batch normalization in training mode (Sec. 3.4: BN after each convolution, before the ReLU), NHWC,
// as @resnet/core's fused kernels define it (packages/core/src/blocks/batch_norm_training.ts):
//
//   forward:  mean, biased variance over the M = N·H·W rows of each channel; y = γ·(x−mean)·invstd + β,
//             then ReLU when asked, invstd = 1/√(variance + ε).
//   backward: g = dy, masked by y > 0 when the forward had the ReLU; dOffset = Σg, dScale = Σg·x̂ with
//             x̂ = (x−mean)·invstd; dx = γ·invstd·(g − dOffset/M − x̂·dScale/M).
//
// The sums over the M rows run in float64 (each product of two float32 values is exact there), so
// they do not lose the cancellation in Σg·x̂ that float32 sums do. x is read in blocks of ROW_BLOCK
// rows: for each block, every group of four channels is summed in f64x2 registers down the block
// (which stays in L1), then added into the per-channel float64 totals in the scratch buffer.
#include "kernels.h"

#define ROW_BLOCK 64

// s0[j] += Σ_r a[r·c + j], s1[j] += Σ_r a[r·c + j]·b[r·c + j] over `rows` rows (b = a: the squares).
// When `mask` is given, a is first zeroed where mask ≤ 0 (the ReLU's gradient). When `shift` is
// given, b is first reduced by shift[j] in float32 (x − mean).
static void sum_products(const float *a, const float *mask, const float *b, const float *shift, size_t rows, size_t c,
                         double *s0, double *s1) {
  const size_t cv = c & ~(size_t)3;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const size_t r1 = rows - r0 < ROW_BLOCK ? rows : r0 + ROW_BLOCK;
    for (size_t j = 0; j < cv; j += 4) {
      v128_t a0 = wasm_f64x2_splat(0), a1 = a0, p0 = a0, p1 = a0;
      const v128_t sh = shift ? wasm_v128_load(shift + j) : zero;
      for (size_t r = r0; r < r1; r++) {
        const size_t at = r * c + j;
        v128_t va = wasm_v128_load(a + at);
        if (mask) va = wasm_v128_and(va, wasm_f32x4_gt(wasm_v128_load(mask + at), zero));
        v128_t vb = wasm_v128_load(b + at);
        if (shift) vb = wasm_f32x4_sub(vb, sh);
        const v128_t al = wasm_f64x2_promote_low_f32x4(va), ah = wasm_f64x2_promote_low_f32x4(rn_high_half(va));
        const v128_t bl = wasm_f64x2_promote_low_f32x4(vb), bh = wasm_f64x2_promote_low_f32x4(rn_high_half(vb));
        a0 = wasm_f64x2_add(a0, al);
        a1 = wasm_f64x2_add(a1, ah);
        p0 = wasm_f64x2_add(p0, wasm_f64x2_mul(al, bl));
        p1 = wasm_f64x2_add(p1, wasm_f64x2_mul(ah, bh));
      }
      wasm_v128_store(s0 + j, wasm_f64x2_add(wasm_v128_load(s0 + j), a0));
      wasm_v128_store(s0 + j + 2, wasm_f64x2_add(wasm_v128_load(s0 + j + 2), a1));
      wasm_v128_store(s1 + j, wasm_f64x2_add(wasm_v128_load(s1 + j), p0));
      wasm_v128_store(s1 + j + 2, wasm_f64x2_add(wasm_v128_load(s1 + j + 2), p1));
    }
    for (size_t j = cv; j < c; j++) {
      double t0 = 0, t1 = 0;
      for (size_t r = r0; r < r1; r++) {
        const size_t at = r * c + j;
        const float va = mask && !(mask[at] > 0.f) ? 0.f : a[at];
        const float vb = shift ? b[at] - shift[j] : b[at];
        t0 += (double)va;
        t1 += (double)va * (double)vb;
      }
      s0[j] += t0;
      s1[j] += t1;
    }
  }
}

static void zero_doubles(double *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = 0;
}

// invstd from the float32 variance the forward returns, so that forward and backward agree on x̂.
static inline double inv_std(float variance, double eps) { return 1.0 / __builtin_sqrt((double)variance + eps); }

// Scratch: 2·c doubles (the sums), then 3·c floats (per-channel factors).
EXPORT(bn_train_scratch_bytes) size_t bn_train_scratch_bytes(size_t c) { return rn_mul_size(c, 2 * sizeof(double) + 3 * sizeof(float)); }

// x, y: [rows, c]; gamma, beta, mean, variance: [c]. relu: 0 or 1.
EXPORT(bn_train_forward)
int bn_train_forward(const float *x, size_t rows, size_t c, const float *gamma, const float *beta, double eps, int relu, float *y,
                     float *mean, float *variance, void *scratch, size_t scratch_bytes) {
  if (c == 0 || rows == 0 || rn_mul_size(rows, c) == 0) return RN_BAD_SIZE;
  if (bn_train_scratch_bytes(c) == 0 || scratch_bytes < bn_train_scratch_bytes(c)) return RN_BAD_SCRATCH;
  double *sum = (double *)scratch, *sq = sum + c;
  float *scale = (float *)(sq + c);
  zero_doubles(sum, 2 * c);
  sum_products(x, NULL, x, NULL, rows, c, sum, sq);
  const double m = (double)rows;
  for (size_t j = 0; j < c; j++) {
    const double mu = sum[j] / m;
    const double var = sq[j] / m - mu * mu;
    mean[j] = (float)mu;
    variance[j] = var > 0 ? (float)var : 0.f;
    scale[j] = (float)((double)gamma[j] * inv_std(variance[j], eps));
  }
  // y = (x − mean)·scale + β: the mean subtracted first, as the composite ops do (no cancellation
  // of a large mean against a large shift).
  const size_t cv = c & ~(size_t)3;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    for (size_t j = 0; j < cv; j += 4) {
      v128_t v = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
      v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(scale + j)), wasm_v128_load(beta + j));
      // pmax(v, 0) is v < 0 ? 0 : v: NaN stays NaN, as tf.relu.
      if (relu) v = wasm_f32x4_pmax(v, zero);
      wasm_v128_store(yr + j, v);
    }
    for (size_t j = cv; j < c; j++) {
      float v = (xr[j] - mean[j]) * scale[j] + beta[j];
      if (relu && v < 0.f) v = 0.f;
      yr[j] = v;
    }
  }
  return RN_OK;
}

// dy, x, dx: [rows, c]; y: [rows, c] or NULL (NULL: no ReLU); gamma, mean, variance, dscale, doffset: [c].
EXPORT(bn_train_backward)
int bn_train_backward(const float *dy, const float *x, const float *y, size_t rows, size_t c, const float *gamma, const float *mean,
                      const float *variance, double eps, float *dx, float *dscale, float *doffset, void *scratch,
                      size_t scratch_bytes) {
  if (c == 0 || rows == 0 || rn_mul_size(rows, c) == 0) return RN_BAD_SIZE;
  if (bn_train_scratch_bytes(c) == 0 || scratch_bytes < bn_train_scratch_bytes(c)) return RN_BAD_SCRATCH;
  double *sg = (double *)scratch, *sgd = sg + c;
  float *a = (float *)(sgd + c), *b = a + c, *k = b + c;
  zero_doubles(sg, 2 * c);
  // Σg and Σg·(x − mean), g = dy masked by y > 0.
  sum_products(dy, y, x, mean, rows, c, sg, sgd);
  const double m = (double)rows;
  // dx = a·(g − b − (x − mean)·k) with a = γ·invstd, b = Σg/M, k = invstd²·Σg·(x−mean)/M.
  for (size_t j = 0; j < c; j++) {
    const double inv = inv_std(variance[j], eps);
    a[j] = (float)((double)gamma[j] * inv);
    b[j] = (float)(sg[j] / m);
    k[j] = (float)(inv * inv * sgd[j] / m);
    doffset[j] = (float)sg[j];
    dscale[j] = (float)(inv * sgd[j]);
  }
  const size_t cv = c & ~(size_t)3;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t r = 0; r < rows; r++) {
    const size_t at = r * c;
    for (size_t j = 0; j < cv; j += 4) {
      v128_t g = wasm_v128_load(dy + at + j);
      if (y) g = wasm_v128_and(g, wasm_f32x4_gt(wasm_v128_load(y + at + j), zero));
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + at + j), wasm_v128_load(mean + j));
      v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(g, wasm_v128_load(b + j)), wasm_f32x4_mul(d, wasm_v128_load(k + j)));
      wasm_v128_store(dx + at + j, wasm_f32x4_mul(wasm_v128_load(a + j), t));
    }
    for (size_t j = cv; j < c; j++) {
      const float g = y && !(y[at + j] > 0.f) ? 0.f : dy[at + j];
      const float d = x[at + j] - mean[j];
      dx[at + j] = a[j] * ((g - b[j]) - d * k[j]);
    }
  }
  return RN_OK;
}
