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
//
// On the thread pool (csrc/pool.c) the rows are summed in CHUNKS fixed chunks (by the shape, not by
// the threads), each into its own totals, which are then added in chunk order: the same result on
// any number of threads. Normalising, and the gradient's last pass, split into blocks of rows.
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

#define CHUNKS 8
#define APPLY_ROWS 256

static void zero_doubles(double *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = 0;
}

// invstd from the float32 variance the forward returns, so that forward and backward agree on x̂.
static inline double inv_std(float variance, double eps) { return 1.0 / __builtin_sqrt((double)variance + eps); }

// The arguments of every batch-norm job: the sums' inputs (a, mask, b, shift as sum_products takes
// them) and the apply passes' (x, y, dy, and the per-channel factors).
typedef struct {
  const float *a, *mask, *b, *shift;
  double *partials;  // CHUNKS × 2·c: each chunk's s0, then s1
  const float *x, *dy, *ymask, *mean, *f0, *f1, *f2;
  float *out;
  uint32_t rows, c, chunks, relu;
} BnArgs;

_Static_assert(sizeof(BnArgs) <= sizeof(((RnJob *)0)->args), "BnArgs must fit in a job");

static size_t chunks_for(size_t rows) { return rows < CHUNKS ? rows : CHUNKS; }

void rn_bn_sums_item(const RnJob *job, size_t chunk) {
  const BnArgs *g = (const BnArgs *)job->args;
  const size_t rows = g->rows, c = g->c, r0 = rows * chunk / g->chunks, r1 = rows * (chunk + 1) / g->chunks;
  double *s0 = g->partials + chunk * 2 * c, *s1 = s0 + c;
  zero_doubles(s0, 2 * c);
  sum_products(g->a + r0 * c, g->mask ? g->mask + r0 * c : NULL, g->b + r0 * c, g->shift, r1 - r0, c, s0, s1);
}

// Σ over the chunks, in chunk order, into the first chunk's totals.
static void combine(double *partials, size_t chunks, size_t c) {
  for (size_t k = 1; k < chunks; k++)
    for (size_t j = 0; j < 2 * c; j++) partials[j] += partials[k * 2 * c + j];
}

// y = (x − mean)·scale + β (f0 = scale, f1 = β), then ReLU when asked, for one block of rows. The
// mean is subtracted first, as the composite ops do (no cancellation of a large mean against a
// large shift).
void rn_bn_forward_item(const RnJob *job, size_t item) {
  const BnArgs *g = (const BnArgs *)job->args;
  const size_t c = g->c, r0 = item * APPLY_ROWS, r1 = g->rows - r0 < APPLY_ROWS ? g->rows : r0 + APPLY_ROWS;
  const float *mean = g->mean, *scale = g->f0, *beta = g->f1;
  const size_t cv = c & ~(size_t)3;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t r = r0; r < r1; r++) {
    const float *xr = g->x + r * c;
    float *yr = g->out + r * c;
    for (size_t j = 0; j < cv; j += 4) {
      v128_t v = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
      v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(scale + j)), wasm_v128_load(beta + j));
      // pmax(v, 0) is v < 0 ? 0 : v: NaN stays NaN, as tf.relu.
      if (g->relu) v = wasm_f32x4_pmax(v, zero);
      wasm_v128_store(yr + j, v);
    }
    for (size_t j = cv; j < c; j++) {
      float v = (xr[j] - mean[j]) * scale[j] + beta[j];
      if (g->relu && v < 0.f) v = 0.f;
      yr[j] = v;
    }
  }
}

// dx = a·(g − b − (x − mean)·k) (f0 = a, f1 = b, f2 = k), g = dy masked by y > 0, for one block of rows.
void rn_bn_backward_item(const RnJob *job, size_t item) {
  const BnArgs *g = (const BnArgs *)job->args;
  const size_t c = g->c, r0 = item * APPLY_ROWS, r1 = g->rows - r0 < APPLY_ROWS ? g->rows : r0 + APPLY_ROWS;
  const float *dy = g->dy, *y = g->ymask, *x = g->x, *mean = g->mean, *a = g->f0, *b = g->f1, *k = g->f2;
  float *dx = g->out;
  const size_t cv = c & ~(size_t)3;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t r = r0; r < r1; r++) {
    const size_t at = r * c;
    for (size_t j = 0; j < cv; j += 4) {
      v128_t gv = wasm_v128_load(dy + at + j);
      if (y) gv = wasm_v128_and(gv, wasm_f32x4_gt(wasm_v128_load(y + at + j), zero));
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + at + j), wasm_v128_load(mean + j));
      v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(gv, wasm_v128_load(b + j)), wasm_f32x4_mul(d, wasm_v128_load(k + j)));
      wasm_v128_store(dx + at + j, wasm_f32x4_mul(wasm_v128_load(a + j), t));
    }
    for (size_t j = cv; j < c; j++) {
      const float gs = y && !(y[at + j] > 0.f) ? 0.f : dy[at + j];
      const float d = x[at + j] - mean[j];
      dx[at + j] = a[j] * ((gs - b[j]) - d * k[j]);
    }
  }
}

// Scratch: CHUNKS × 2·c doubles (each chunk's sums), then 3·c floats (per-channel factors).
EXPORT(bn_train_scratch_bytes) size_t bn_train_scratch_bytes(size_t c) {
  return rn_mul_size(c, CHUNKS * 2 * sizeof(double) + 3 * sizeof(float));
}

static int check_sizes(size_t rows, size_t c, size_t scratch_bytes) {
  if (c == 0 || rows == 0 || rn_mul_size(rows, c) == 0 || rows > UINT32_MAX || c > UINT32_MAX) return RN_BAD_SIZE;
  if (bn_train_scratch_bytes(c) == 0 || scratch_bytes < bn_train_scratch_bytes(c)) return RN_BAD_SCRATCH;
  return RN_OK;
}

// The per-chunk sums of a·b (a masked, b shifted as sum_products does), combined into partials[0..2c).
static void sums(RnJob *job, const float *a, const float *mask, const float *b, const float *shift, size_t rows, size_t c,
                 double *partials) {
  BnArgs *g = (BnArgs *)job->args;
  g->a = a, g->mask = mask, g->b = b, g->shift = shift, g->partials = partials;
  g->rows = rows, g->c = c, g->chunks = chunks_for(rows);
  rn_parallel(job, RN_JOB_BN_SUMS, g->chunks);
  combine(partials, g->chunks, c);
}

// x, y: [rows, c]; gamma, beta, mean, variance: [c]. relu: 0 or 1.
EXPORT(bn_train_forward)
int bn_train_forward(RnJob *job, const float *x, size_t rows, size_t c, const float *gamma, const float *beta, double eps, int relu,
                     float *y, float *mean, float *variance, void *scratch, size_t scratch_bytes) {
  const int status = check_sizes(rows, c, scratch_bytes);
  if (status != RN_OK) return status;
  double *partials = (double *)scratch, *sum = partials, *sq = partials + c;
  float *scale = (float *)(partials + CHUNKS * 2 * c);
  sums(job, x, NULL, x, NULL, rows, c, partials);
  const double m = (double)rows;
  for (size_t j = 0; j < c; j++) {
    const double mu = sum[j] / m;
    const double var = sq[j] / m - mu * mu;
    mean[j] = (float)mu;
    variance[j] = var > 0 ? (float)var : 0.f;
    scale[j] = (float)((double)gamma[j] * inv_std(variance[j], eps));
  }
  BnArgs *g = (BnArgs *)job->args;
  g->x = x, g->out = y, g->mean = mean, g->f0 = scale, g->f1 = beta, g->relu = relu ? 1 : 0, g->rows = rows, g->c = c;
  rn_parallel(job, RN_JOB_BN_FORWARD, (rows + APPLY_ROWS - 1) / APPLY_ROWS);
  return RN_OK;
}

// dy, x, dx: [rows, c]; y: [rows, c] or NULL (NULL: no ReLU); gamma, mean, variance, dscale, doffset: [c].
EXPORT(bn_train_backward)
int bn_train_backward(RnJob *job, const float *dy, const float *x, const float *y, size_t rows, size_t c, const float *gamma,
                      const float *mean, const float *variance, double eps, float *dx, float *dscale, float *doffset, void *scratch,
                      size_t scratch_bytes) {
  const int status = check_sizes(rows, c, scratch_bytes);
  if (status != RN_OK) return status;
  double *partials = (double *)scratch, *sg = partials, *sgd = partials + c;
  float *a = (float *)(partials + CHUNKS * 2 * c), *b = a + c, *k = b + c;
  // Σg and Σg·(x − mean), g = dy masked by y > 0.
  sums(job, dy, y, x, mean, rows, c, partials);
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
  BnArgs *g = (BnArgs *)job->args;
  g->dy = dy, g->ymask = y, g->x = x, g->mean = mean, g->f0 = a, g->f1 = b, g->f2 = k, g->out = dx, g->rows = rows, g->c = c;
  rn_parallel(job, RN_JOB_BN_BACKWARD, (rows + APPLY_ROWS - 1) / APPLY_ROWS);
  return RN_OK;
}
