// Matrix products (the fc layer and its gradients): oneDNN's sgemm, row-major, per batch, with an
// optional bias over the columns and a fused ReLU (tfjs's _FusedMatMul, used by folded inference).
#include <omp.h>

#include "common.h"

namespace rn {

constexpr int64_t SMALL_GEMM = 1 << 18;

// batchMatMul([batch, m, n, k, transposeA, transposeB, aBatchStride, bBatchStride], a, b, out, bias|null, relu)
static Napi::Value BatchMatMul(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    auto p = ints(info, 0, 8, "matmul view");
    const int64_t batch = p[0], m = p[1], n = p[2], k = p[3];
    const bool ta = p[4] != 0, tb = p[5] != 0;
    const int64_t as = p[6], bs = p[7];
    if (batch <= 0 || m <= 0 || n <= 0 || k <= 0) fail("matmul: sizes must be positive, got " + dimsStr(p));
    if (!(as == 0 || as == m * k) || !(bs == 0 || bs == k * n)) fail("matmul: batch strides must be 0 or a whole matrix, got " + dimsStr(p));
    const float *a = f32(info, 1, as == 0 ? m * k : batch * m * k, "matmul a");
    const float *b = f32(info, 2, bs == 0 ? k * n : batch * k * n, "matmul b");
    float *out = f32(info, 3, batch * m * n, "matmul out");
    const float *bias = f32OrNull(info, 4, n, "matmul bias");
    const bool relu = boolean(info, 5, "matmul relu");
    for (int64_t i = 0; i < batch; i++) {
      float *c = out + i * m * n;
      const float *ai = a + i * as, *bi = b + i * bs;
      if (m * n * k <= SMALL_GEMM) {
        // The fc layer and its gradients (e.g. 128×64 by 64×10): a plain loop on this thread is
        // faster than waking sgemm's threads (measured ~2 ms per call inside a training step).
        for (int64_t r = 0; r < m; r++)
          for (int64_t j = 0; j < n; j++) {
            float acc = 0.f;
            for (int64_t q = 0; q < k; q++) acc += (ta ? ai[q * m + r] : ai[r * k + q]) * (tb ? bi[j * k + q] : bi[q * n + j]);
            c[r * n + j] = acc;
          }
      } else {
        dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, ai, ta ? m : k, bi, tb ? k : n, 0.f, c, n);
        if (st != dnnl_success) fail("matmul: dnnl_sgemm failed with status " + std::to_string(static_cast<int>(st)));
      }
      if (bias || relu) {
#pragma omp parallel for schedule(static) if (m * n >= PARALLEL_MIN)
        for (int64_t r = 0; r < m; r++) {
          float *row = c + r * n;
          if (bias)
            for (int64_t j = 0; j < n; j++) row[j] += bias[j];
          if (relu)
            for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.f ? row[j] : 0.f;
        }
      }
    }
    return info.Env().Undefined();
  });
}

void registerMatmul(Napi::Env env, Napi::Object exports) { exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul)); }

}  // namespace rn
