// What every kernel file shares. The kernels run on tfjs-backend-wasm's own heap: the module is a
// position-independent side module (scripts/build-kernels.mjs) that imports the backend's memory,
// so pointers are offsets into that heap, handed over by src/own_kernels.ts. They take explicit
// sizes, check what they can (counts that overflow, scratch that is too small) and return a status:
// 0, or one of the codes below, which the TypeScript side turns into an error naming the kernel.
// No globals, no static data, no calls out: the module imports nothing but its memory.
#ifndef RESNET_KERNELS_H
#define RESNET_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

enum {
  RN_OK = 0,
  RN_BAD_SIZE = 1,     // a count is 0 where it must not be, or a product overflows 32 bits
  RN_BAD_SCRATCH = 2,  // the scratch buffer is smaller than the kernel needs
  RN_BAD_OP = 3,       // an operation code this module does not know
};

// a·b without wrapping past 32 bits: 0 on overflow (callers treat 0 as a bad size).
static inline size_t rn_mul_size(size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  return a * b;
}

// The high two floats of v, as the low two (for f64x2.promote_low).
static inline v128_t rn_high_half(v128_t v) { return wasm_i32x4_shuffle(v, v, 2, 3, 2, 3); }

#endif
