// Element-wise float32 kernels of a ResNet training step, each one pass over memory:
// - add_relu, relu_grad: @resnet/core's ResNetAddRelu / ResNetReluGrad (blocks/add_relu.ts), the
//   end of every residual block, σ(F(x) + x) (Eqn. 1 and 2), and its gradient.
// - sgd_momentum: core's ResNetSgdMomentum (training/sgd.ts), d = g + wd·w, v' = m·v + lr·d,
//   w' = w − v', each operation rounded to float32 in that order, as the composite ops round it
//   (wasm has no fused multiply-add in SIMD128, and -ffp-contract=off keeps the scalar tail so).
// - channel_binary: a + b, a − b, a·b where one side is [rows, c] and the other a [c] vector
//   repeated over the rows: the per-channel broadcasts of NHWC tensors.
// The large ones split into blocks over the thread pool (csrc/pool.c); sgd_momentum's tensors are
// the parameters (at most a few hundred thousand floats), one pass on the calling thread.
#include "kernels.h"

#define BLOCK 32768  // floats per work item

typedef struct {
  const float *a, *b;
  float *y;
  uint32_t n, op, b_first, rows, c;
} EwArgs;

_Static_assert(sizeof(EwArgs) <= sizeof(((RnJob *)0)->args), "EwArgs must fit in a job");

static inline size_t blocks(size_t n, size_t block) { return (n + block - 1) / block; }

// y = max(a + b, 0), with NaN kept (a + b < 0 ? 0 : a + b), on one block.
void rn_add_relu_item(const RnJob *job, size_t item) {
  const EwArgs *e = (const EwArgs *)job->args;
  const size_t begin = item * BLOCK, n = e->n - begin < BLOCK ? e->n - begin : BLOCK;
  const float *a = e->a + begin, *b = e->b + begin;
  float *y = e->y + begin;
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_pmax(wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)), zero));
  for (; i < n; i++) {
    const float s = a[i] + b[i];
    y[i] = s < 0.f ? 0.f : s;
  }
}

// dx = dy where y > 0, else 0, on one block (a = dy, b = y).
void rn_relu_grad_item(const RnJob *job, size_t item) {
  const EwArgs *e = (const EwArgs *)job->args;
  const size_t begin = item * BLOCK, n = e->n - begin < BLOCK ? e->n - begin : BLOCK;
  const float *dy = e->a + begin, *y = e->b + begin;
  float *dx = e->y + begin;
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), wasm_f32x4_gt(wasm_v128_load(y + i), zero)));
  for (; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

static int elementwise(RnJob *job, uint32_t kind, const float *a, const float *b, float *y, size_t n) {
  if (n == 0 || n > UINT32_MAX) return RN_BAD_SIZE;
  EwArgs *e = (EwArgs *)job->args;
  e->a = a, e->b = b, e->y = y, e->n = n;
  rn_parallel(job, kind, blocks(n, BLOCK));
  return RN_OK;
}

EXPORT(add_relu) int add_relu(RnJob *job, const float *a, const float *b, float *y, size_t n) {
  return elementwise(job, RN_JOB_ADD_RELU, a, b, y, n);
}

EXPORT(relu_grad) int relu_grad(RnJob *job, const float *dy, const float *y, float *dx, size_t n) {
  return elementwise(job, RN_JOB_RELU_GRAD, dy, y, dx, n);
}

EXPORT(sgd_momentum)
int sgd_momentum(const float *w, const float *v, const float *g, size_t n, float lr, float momentum, float wd, float *v_out, float *w_out) {
  const v128_t vlr = wasm_f32x4_splat(lr), vm = wasm_f32x4_splat(momentum), vwd = wasm_f32x4_splat(wd);
  size_t i = 0;
  if (wd != 0.f) {
    for (; i + 4 <= n; i += 4) {
      const v128_t wi = wasm_v128_load(w + i);
      const v128_t d = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(wi, vwd));
      const v128_t next = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vm), wasm_f32x4_mul(d, vlr));
      wasm_v128_store(v_out + i, next);
      wasm_v128_store(w_out + i, wasm_f32x4_sub(wi, next));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const v128_t next = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vm), wasm_f32x4_mul(wasm_v128_load(g + i), vlr));
      wasm_v128_store(v_out + i, next);
      wasm_v128_store(w_out + i, wasm_f32x4_sub(wasm_v128_load(w + i), next));
    }
  }
  for (; i < n; i++) {
    const float d = wd != 0.f ? g[i] + w[i] * wd : g[i];
    const float next = v[i] * momentum + d * lr;
    v_out[i] = next;
    w_out[i] = w[i] - next;
  }
  return RN_OK;
}

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2 };

// One operation with the [c] operand on the right (x op b) or on the left (b op x): the loop is
// written once per case, so that the operation is not chosen per element.
#define CHANNEL_LOOP(VEC, SCALAR)                                   \
  for (size_t r = 0; r < rows; r++) {                               \
    const float *xr = x + r * c;                                    \
    float *yr = y + r * c;                                          \
    size_t j = 0;                                                   \
    for (; j + 4 <= c; j += 4) {                                    \
      const v128_t p = wasm_v128_load(xr + j), q = wasm_v128_load(b + j); \
      wasm_v128_store(yr + j, VEC);                                 \
    }                                                               \
    for (; j < c; j++) {                                            \
      const float p = xr[j], q = b[j];                              \
      yr[j] = SCALAR;                                               \
    }                                                               \
  }

// y[r, j] = x[r, j] op b[j] (b_first = 0) or b[j] op x[r, j] (b_first = 1), for one block of rows.
void rn_channel_binary_item(const RnJob *job, size_t item) {
  const EwArgs *e = (const EwArgs *)job->args;
  const size_t c = e->c, per = BLOCK / c > 0 ? BLOCK / c : 1, r0 = item * per;
  const size_t rows = e->rows - r0 < per ? e->rows - r0 : per;
  const float *x = e->a + r0 * c, *b = e->b;
  float *y = e->y + r0 * c;
  switch (e->op) {
    case OP_ADD:
      CHANNEL_LOOP(wasm_f32x4_add(p, q), p + q)
      break;
    case OP_MUL:
      CHANNEL_LOOP(wasm_f32x4_mul(p, q), p * q)
      break;
    default:  // OP_SUB (channel_binary checked the code)
      if (e->b_first) {
        CHANNEL_LOOP(wasm_f32x4_sub(q, p), q - p)
      } else {
        CHANNEL_LOOP(wasm_f32x4_sub(p, q), p - q)
      }
      break;
  }
}

// x, y: [rows, c]; b: [c].
EXPORT(channel_binary)
int channel_binary(RnJob *job, int op, int b_first, const float *x, size_t rows, size_t c, const float *b, float *y) {
  if (c == 0 || rows == 0 || rn_mul_size(rows, c) == 0 || rn_mul_size(rows, c) > UINT32_MAX) return RN_BAD_SIZE;
  if (op != OP_ADD && op != OP_SUB && op != OP_MUL) return RN_BAD_OP;
  EwArgs *e = (EwArgs *)job->args;
  e->a = x, e->b = b, e->y = y, e->op = op, e->b_first = b_first ? 1 : 0, e->rows = rows, e->c = c;
  const size_t per = BLOCK / c > 0 ? BLOCK / c : 1;
  rn_parallel(job, RN_JOB_CHANNEL_BINARY, blocks(rows, per));
  return RN_OK;
}
