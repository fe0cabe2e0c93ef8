// Reductions over the middle axis of an [outer, reduced, inner] view: sum, mean, max, min. The JS
// side maps tfjs's axes onto this view when the reduced axes are contiguous (batch norm's [0, 1, 2]
// over NHWC is [1, N·H·W, C]); other axis sets stay on the cpu kernels. Sums accumulate in double:
// BN's gradient sums 131,072 values per channel and loses too much to cancellation in float32.
#include <omp.h>

#include <cmath>
#include <limits>

#include "common.h"

namespace rn {

namespace {
enum Reduce { SUM = 0, MEAN, MAX, MIN, REDUCE_COUNT };
}

// reduce(op, [outer, reduced, inner], x, out)
static Napi::Value ReduceOp(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    int op = static_cast<int>(number(info, 0, "reduce op"));
    if (op < 0 || op >= REDUCE_COUNT) fail("reduce: unknown op " + std::to_string(op));
    auto v = ints(info, 1, 3, "reduce view");
    const int64_t outer = v[0], red = v[1], inner = v[2];
    if (outer <= 0 || red <= 0 || inner <= 0) fail("reduce: empty view " + dimsStr(v));
    const float *x = f32(info, 2, outer * red * inner, "reduce x");
    float *out = f32(info, 3, outer * inner, "reduce out");
    const int threads = omp_get_max_threads();
    if (op == SUM || op == MEAN) {
      const double scale = op == MEAN ? 1.0 / static_cast<double>(red) : 1.0;
      if (outer >= threads || inner >= 4096) {
#pragma omp parallel for schedule(static) if (outer * red * inner >= PARALLEL_MIN)
        for (int64_t o = 0; o < outer; o++) {
          std::vector<double> acc(inner, 0.0);
          const float *base = x + o * red * inner;
          for (int64_t r = 0; r < red; r++) {
            const float *row = base + r * inner;
#pragma omp simd
            for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
          }
          for (int64_t i = 0; i < inner; i++) out[o * inner + i] = static_cast<float>(acc[i] * scale);
        }
      } else {
        // Few outputs, many rows (per-channel sums): each thread sums a band of rows.
        for (int64_t o = 0; o < outer; o++) {
          const float *base = x + o * red * inner;
          std::vector<double> total(inner, 0.0);
#pragma omp parallel if (red * inner >= PARALLEL_MIN)
          {
            std::vector<double> acc(inner, 0.0);
#pragma omp for schedule(static)
            for (int64_t r = 0; r < red; r++) {
              const float *row = base + r * inner;
#pragma omp simd
              for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
            }
#pragma omp critical
            for (int64_t i = 0; i < inner; i++) total[i] += acc[i];
          }
          for (int64_t i = 0; i < inner; i++) out[o * inner + i] = static_cast<float>(total[i] * scale);
        }
      }
      return info.Env().Undefined();
    }
    const bool isMax = op == MAX;
#pragma omp parallel for schedule(static) if (outer * red * inner >= PARALLEL_MIN)
    for (int64_t o = 0; o < outer; o++) {
      std::vector<float> acc(inner, isMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
      std::vector<char> nan(inner, 0);
      const float *base = x + o * red * inner;
      for (int64_t r = 0; r < red; r++) {
        const float *row = base + r * inner;
        for (int64_t i = 0; i < inner; i++) {
          const float val = row[i];
          if (std::isnan(val)) nan[i] = 1;
          else if (isMax ? val > acc[i] : val < acc[i]) acc[i] = val;
        }
      }
      for (int64_t i = 0; i < inner; i++) out[o * inner + i] = nan[i] ? NAN : acc[i];
    }
    return info.Env().Undefined();
  });
}

void registerReduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", Napi::Function::New(env, ReduceOp)); }

}  // namespace rn
