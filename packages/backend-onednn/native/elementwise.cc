// Element-wise float32 arithmetic: binary ops with the broadcasts a ResNet makes (same shape, a
// per-channel [C] vector, a per-row [N, 1] column, a scalar), unary ops, and a strided copy that
// serves Slice, Pad, Transpose and Concat. Memory-bound loops, vectorised by the compiler and split
// over oneDNN's OpenMP threads.
//
// A broadcast arrives as strides (0 along the axes an operand repeats over), with adjacent axes
// merged by the JS side, so the usual cases are rank 1 to 3.
#include <omp.h>

#include <cmath>

#include "common.h"

namespace rn {

namespace {

enum Binary { ADD = 0, SUB, MUL, DIV, MAX, MIN, SQDIFF, BINARY_COUNT };
enum Unary { RELU = 0, RELU6, STEP, NEG, EXP, LOG, SQRT, RSQRT, SQUARE, ABS, SIGMOID, TANH, RECIPROCAL, LINEAR, UNARY_COUNT };

template <int OP>
inline float apply(float a, float b) {
  if constexpr (OP == ADD) return a + b;
  if constexpr (OP == SUB) return a - b;
  if constexpr (OP == MUL) return a * b;
  if constexpr (OP == DIV) return a / b;
  // NaN wins, as Math.max/Math.min do on tfjs's cpu backend.
  if constexpr (OP == MAX) return (std::isnan(a) || std::isnan(b)) ? NAN : (a > b ? a : b);
  if constexpr (OP == MIN) return (std::isnan(a) || std::isnan(b)) ? NAN : (a < b ? a : b);
  // In double and rounded once, as JavaScript (the cpu backend) computes it.
  if constexpr (OP == SQDIFF) {
    const double d = static_cast<double>(a) - b;
    return static_cast<float>(d * d);
  }
  return 0.f;
}

// out[i] = a[i·as] ∘ b[i·bs] over every index i of a rank-6 view (dims padded with 1s on the left),
// each operand's stride 0 along the axes it is broadcast over. The last axis is the vector loop.
// Work is split into chunks of this many elements of the last axis.
constexpr int64_t CHUNK = 1 << 14;

template <int OP>
inline void binaryRow(const float *ar, int64_t sa, const float *br, int64_t sb, float *o, int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = apply<OP>(ar[i], br[i]);
  } else if (sa == 1) {
    const float bv = br[0];
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = apply<OP>(ar[i], bv);
  } else if (sb == 1) {
    const float av = ar[0];
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = apply<OP>(av, br[i]);
  } else {
    const float v = apply<OP>(ar[0], br[0]);
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
}

// out[i] = a[i·as] ∘ b[i·bs] over every index i of a rank-6 view (dims padded with 1s on the left),
// each operand's stride 0 along the axes it is broadcast over. The last axis is the vector loop,
// cut into chunks so that one long row is shared between threads too.
template <int OP>
void binaryLoop(const int64_t *D, const int64_t *SA, const int64_t *SB, const float *a, const float *b, float *out) {
  const int64_t rows = D[0] * D[1] * D[2] * D[3] * D[4], inner = D[5];
  const int64_t sa = SA[5], sb = SB[5];
  const int64_t chunks = (inner + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (rows * inner >= PARALLEL_MIN)
  for (int64_t job = 0; job < rows * chunks; job++) {
    const int64_t r = job / chunks, c = job % chunks;
    int64_t rem = r, ao = 0, bo = 0;
    for (int k = 4; k >= 0; k--) {
      const int64_t idx = rem % D[k];
      rem /= D[k];
      ao += idx * SA[k];
      bo += idx * SB[k];
    }
    const int64_t from = c * CHUNK, n = std::min(CHUNK, inner - from);
    binaryRow<OP>(a + ao + from * sa, sa, b + bo + from * sb, sb, out + r * inner + from, n);
  }
}

using BinaryFn = void (*)(const int64_t *, const int64_t *, const int64_t *, const float *, const float *, float *);
const BinaryFn BINARIES[BINARY_COUNT] = {binaryLoop<ADD>, binaryLoop<SUB>, binaryLoop<MUL>, binaryLoop<DIV>, binaryLoop<MAX>, binaryLoop<MIN>, binaryLoop<SQDIFF>};

template <int OP>
inline float unary(float x, float alpha, float beta) {
  if constexpr (OP == RELU) return x > 0.f ? x : (std::isnan(x) ? x : 0.f);
  if constexpr (OP == RELU6) return std::isnan(x) ? x : std::min(6.f, std::max(0.f, x));
  if constexpr (OP == STEP) return std::isnan(x) ? NAN : (x > 0.f ? 1.f : alpha);
  if constexpr (OP == NEG) return -x;
  if constexpr (OP == EXP) return std::exp(x);
  if constexpr (OP == LOG) return std::log(x);
  if constexpr (OP == SQRT) return std::sqrt(x);
  if constexpr (OP == RSQRT) return 1.f / std::sqrt(x);
  if constexpr (OP == SQUARE) return x * x;
  if constexpr (OP == ABS) return std::fabs(x);
  if constexpr (OP == SIGMOID) return 1.f / (1.f + std::exp(-x));
  if constexpr (OP == TANH) return std::tanh(x);
  if constexpr (OP == RECIPROCAL) return 1.f / x;
  if constexpr (OP == LINEAR) return alpha * x + beta;
  return 0.f;
}

template <int OP>
void unaryLoop(int64_t n, const float *x, float *y, float alpha, float beta) {
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) y[i] = unary<OP>(x[i], alpha, beta);
}

using UnaryFn = void (*)(int64_t, const float *, float *, float, float);
const UnaryFn UNARIES[UNARY_COUNT] = {unaryLoop<RELU>, unaryLoop<RELU6>, unaryLoop<STEP>,   unaryLoop<NEG>,     unaryLoop<EXP>,  unaryLoop<LOG>,        unaryLoop<SQRT>,
                                      unaryLoop<RSQRT>, unaryLoop<SQUARE>, unaryLoop<ABS>, unaryLoop<SIGMOID>, unaryLoop<TANH>, unaryLoop<RECIPROCAL>, unaryLoop<LINEAR>};

}  // namespace

// binary(op, dims, aStrides, a, bStrides, b, out): dims of the output (rank 1..6), each operand's
// strides 0 or dense; every reach is checked against the arrays' lengths.
static Napi::Value BinaryOp(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    int op = static_cast<int>(number(info, 0, "binary op"));
    if (op < 0 || op >= BINARY_COUNT) fail("binary: unknown op " + std::to_string(op));
    auto d = shape(info, 1, "binary dims");
    const size_t rank = d.size();
    if (rank < 1 || rank > 6) fail("binary: rank must be 1 to 6, got " + std::to_string(rank));
    auto sa = ints(info, 2, rank, "binary a strides");
    auto sb = ints(info, 4, rank, "binary b strides");
    const int64_t count = product(d);
    if (count <= 0) fail("binary: empty output " + dimsStr(d));
    int64_t ra = 1, rb = 1;
    for (size_t k = 0; k < rank; k++) {
      if (sa[k] < 0 || sb[k] < 0) fail("binary: negative stride");
      ra += (d[k] - 1) * sa[k];
      rb += (d[k] - 1) * sb[k];
    }
    if (sa[rank - 1] > 1 || sb[rank - 1] > 1) fail("binary: the last axis must be dense or broadcast");
    float *a = f32(info, 3, ra, "binary a");
    float *b = f32(info, 5, rb, "binary b");
    float *out = f32(info, 6, count, "binary out");
    int64_t D[6], SA[6], SB[6];
    for (int k = 0; k < 6; k++) {
      int j = k - (6 - static_cast<int>(rank));
      D[k] = j >= 0 ? d[j] : 1;
      SA[k] = j >= 0 ? sa[j] : 0;
      SB[k] = j >= 0 ? sb[j] : 0;
    }
    BINARIES[op](D, SA, SB, a, b, out);
    return info.Env().Undefined();
  });
}

// unary(op, x, y, alpha, beta)
static Napi::Value UnaryOp(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    int op = static_cast<int>(number(info, 0, "unary op"));
    if (op < 0 || op >= UNARY_COUNT) fail("unary: unknown op " + std::to_string(op));
    if (!info[1].IsTypedArray()) fail("unary x: expected a Float32Array");
    int64_t n = static_cast<int64_t>(info[1].As<Napi::TypedArray>().ElementLength());
    float *x = f32(info, 1, n, "unary x");
    float *y = f32(info, 2, n, "unary y");
    UNARIES[op](n, x, y, static_cast<float>(number(info, 3, "unary alpha")), static_cast<float>(number(info, 4, "unary beta")));
    return info.Env().Undefined();
  });
}

// copyStrided(dims, srcStrides, srcOffset, src, dstStrides, dstOffset, dst): dst[dstOffset + Σ i·ds] =
// src[srcOffset + Σ i·ss] over every index i of dims (rank 1..6). Both reaches are checked.
static Napi::Value CopyStrided(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    auto d = shape(info, 0, "copy dims");
    const size_t rank = d.size();
    if (rank < 1 || rank > 6) fail("copy: rank must be 1 to 6, got " + std::to_string(rank));
    auto ss = ints(info, 1, rank, "copy source strides");
    int64_t so = static_cast<int64_t>(number(info, 2, "copy source offset"));
    auto ds = ints(info, 4, rank, "copy destination strides");
    int64_t dof = static_cast<int64_t>(number(info, 5, "copy destination offset"));
    int64_t count = product(d);
    if (count == 0) return info.Env().Undefined();
    int64_t srcMax = so, dstMax = dof;
    for (size_t k = 0; k < rank; k++) {
      if (ss[k] < 0 || ds[k] < 0) fail("copy: negative stride");
      srcMax += (d[k] - 1) * ss[k];
      dstMax += (d[k] - 1) * ds[k];
    }
    if (so < 0 || dof < 0) fail("copy: negative offset");
    if (!info[3].IsTypedArray() || !info[6].IsTypedArray()) fail("copy: expected typed arrays");
    auto srcArr = info[3].As<Napi::TypedArray>(), dstArr = info[6].As<Napi::TypedArray>();
    // Any 4-byte element type (float32, int32): the copy moves bits.
    auto bytesPer = [](napi_typedarray_type t) { return t == napi_float32_array || t == napi_int32_array || t == napi_uint32_array ? 4 : 0; };
    if (bytesPer(srcArr.TypedArrayType()) != 4 || srcArr.TypedArrayType() != dstArr.TypedArrayType()) fail("copy: expected two 4-byte typed arrays of one type");
    if (srcMax >= static_cast<int64_t>(srcArr.ElementLength()) || dstMax >= static_cast<int64_t>(dstArr.ElementLength())) {
      fail("copy: view " + dimsStr(d) + " reaches past its array");
    }
    const uint32_t *src = reinterpret_cast<const uint32_t *>(static_cast<uint8_t *>(srcArr.ArrayBuffer().Data()) + srcArr.ByteOffset()) + so;
    uint32_t *dst = reinterpret_cast<uint32_t *>(static_cast<uint8_t *>(dstArr.ArrayBuffer().Data()) + dstArr.ByteOffset()) + dof;
    // Pad to rank 6 on the left; the last dim is the inner loop.
    int64_t D[6], S[6], T[6];
    for (int k = 0; k < 6; k++) {
      int j = k - (6 - static_cast<int>(rank));
      D[k] = j >= 0 ? d[j] : 1;
      S[k] = j >= 0 ? ss[j] : 0;
      T[k] = j >= 0 ? ds[j] : 0;
    }
    const int64_t rows = D[0] * D[1] * D[2] * D[3] * D[4];
#pragma omp parallel for schedule(static) if (count >= PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
      int64_t rem = r, sOff = 0, dOff = 0;
      for (int k = 4; k >= 0; k--) {
        int64_t idx = rem % D[k];
        rem /= D[k];
        sOff += idx * S[k];
        dOff += idx * T[k];
      }
      const uint32_t *s = src + sOff;
      uint32_t *t = dst + dOff;
      if (S[5] == 1 && T[5] == 1) {
        std::copy(s, s + D[5], t);
      } else {
        for (int64_t i = 0; i < D[5]; i++) t[i * T[5]] = s[i * S[5]];
      }
    }
    return info.Env().Undefined();
  });
}

// fill(array, value): every float32 of array set to value.
static Napi::Value Fill(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    if (!info[0].IsTypedArray()) fail("fill: expected a Float32Array");
    int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
    float *x = f32(info, 0, n, "fill array");
    float v = static_cast<float>(number(info, 1, "fill value"));
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) x[i] = v;
    return info.Env().Undefined();
  });
}

// sgdMomentum(w, v, g, learningRate, momentum, weightDecay, vOut, wOut): @resnet/core's
// ResNetSgdMomentum, d = g + wd·w, v' = m·v + lr·d, w' = w − v', each step rounded to float32 as the
// composite tfjs ops round it (no contraction into FMAs: binding.gyp's -ffp-contract=off).
static Napi::Value SgdMomentum(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    if (!info[0].IsTypedArray()) fail("sgd: expected a Float32Array");
    const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
    const float *w = f32(info, 0, n, "sgd variable");
    const float *v = f32(info, 1, n, "sgd velocity");
    const float *g = f32(info, 2, n, "sgd gradient");
    const float lr = static_cast<float>(number(info, 3, "sgd learning rate"));
    const float m = static_cast<float>(number(info, 4, "sgd momentum"));
    const float wd = static_cast<float>(number(info, 5, "sgd weight decay"));
    float *vOut = f32(info, 6, n, "sgd velocity out");
    float *wOut = f32(info, 7, n, "sgd variable out");
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
      const float d = wd != 0.f ? g[i] + wd * w[i] : g[i];
      const float next = m * v[i] + lr * d;
      vOut[i] = next;
      wOut[i] = w[i] - next;
    }
    return info.Env().Undefined();
  });
}

// addRelu(a, b, y): y = max(a + b, 0), NaN kept (@resnet/core's ResNetAddRelu).
static Napi::Value AddRelu(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    if (!info[0].IsTypedArray()) fail("addRelu: expected a Float32Array");
    const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
    const float *a = f32(info, 0, n, "addRelu a");
    const float *b = f32(info, 1, n, "addRelu b");
    float *y = f32(info, 2, n, "addRelu y");
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = unary<RELU>(a[i] + b[i], 0.f, 0.f);
    return info.Env().Undefined();
  });
}

// reluGrad(dy, y, dx): dx = dy where y > 0, else 0 (@resnet/core's ResNetReluGrad).
static Napi::Value ReluGrad(const Napi::CallbackInfo &info) {
  return guarded(info, [&] {
    if (!info[0].IsTypedArray()) fail("reluGrad: expected a Float32Array");
    const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
    const float *dy = f32(info, 0, n, "reluGrad dy");
    const float *y = f32(info, 1, n, "reluGrad y");
    float *dx = f32(info, 2, n, "reluGrad dx");
#pragma omp parallel for simd schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
    return info.Env().Undefined();
  });
}

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("addRelu", Napi::Function::New(env, AddRelu));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("sgdMomentum", Napi::Function::New(env, SgdMomentum));
  exports.Set("binary", Napi::Function::New(env, BinaryOp));
  exports.Set("unary", Napi::Function::New(env, UnaryOp));
  exports.Set("copyStrided", Napi::Function::New(env, CopyStrided));
  exports.Set("fill", Napi::Function::New(env, Fill));
}

}  // namespace rn
