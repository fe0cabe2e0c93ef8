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

// The work of one kernel call, shared by the threads that run it (csrc/pool.c). It lives on the heap
// (allocated once per backend by src/kernel_pool.ts) and is handed to every kernel that splits its
// work; a kernel writes its arguments into `args`, then calls rn_parallel with the number of work
// items. Items are claimed from `next`, a 64-bit word holding the job's item count (high half)
// and the next unclaimed index (low half): one compare-and-swap claims an item of the job the word
// describes, so a thread that wakes late can never claim an item of a job it has not seen.
typedef struct {
  uint64_t next;      // items << 32 | next index
  uint32_t seq;       // bumped for each job: the word the workers sleep on
  uint32_t done;      // items finished
  uint32_t stop;      // set to make the workers return
  uint32_t kind;      // which kernel's items (RN_JOB_*)
  uint32_t workers;   // how many workers are looping (informative)
  uint32_t may_wait;  // 1: the calling thread may sleep (Node, a Web Worker); 0: it spins (a page)
  uint32_t args[48];  // the kernel's arguments, as its own struct
} RnJob;

enum {
  RN_JOB_CONV2D = 1,
  RN_JOB_CONV2D_FILTER = 2,
  RN_JOB_SUM_PARTIALS = 3,
  RN_JOB_BN_SUMS = 4,
  RN_JOB_BN_FORWARD = 5,
  RN_JOB_BN_BACKWARD = 6,
  RN_JOB_CONV2D_INPUT = 7,
  RN_JOB_ADD_RELU = 8,
  RN_JOB_RELU_GRAD = 9,
  RN_JOB_CHANNEL_BINARY = 10,
  RN_JOB_CONV2D_PACK = 11,
  RN_JOB_WINOGRAD_INPUT = 12,
  RN_JOB_WINOGRAD_GEMM = 13,
  RN_JOB_WINOGRAD_OUTPUT = 14,
};

// Runs items 0..items−1 of `job` (already filled in) on the calling thread and every worker waiting
// on the job, and returns when all are done. Items of one job must not depend on each other.
void rn_parallel(RnJob *job, uint32_t kind, size_t items);

// What an item of each kind does (defined beside its kernel; dispatched by csrc/pool.c).
void rn_conv2d_item(const RnJob *job, size_t item);
void rn_conv2d_pack_item(const RnJob *job, size_t item);
void rn_conv2d_filter_item(const RnJob *job, size_t item);
void rn_sum_partials_item(const RnJob *job, size_t item);
void rn_conv2d_input_item(const RnJob *job, size_t item);
void rn_add_relu_item(const RnJob *job, size_t item);
void rn_relu_grad_item(const RnJob *job, size_t item);
void rn_channel_binary_item(const RnJob *job, size_t item);
void rn_winograd_input_item(const RnJob *job, size_t item);
void rn_winograd_gemm_item(const RnJob *job, size_t item);
void rn_winograd_output_item(const RnJob *job, size_t item);
void rn_bn_sums_item(const RnJob *job, size_t item);
void rn_bn_forward_item(const RnJob *job, size_t item);
void rn_bn_backward_item(const RnJob *job, size_t item);

// a·b without wrapping past 32 bits: 0 on overflow (callers treat 0 as a bad size).
static inline size_t rn_mul_size(size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  return a * b;
}

// The high two floats of v, as the low two (for f64x2.promote_low).
static inline v128_t rn_high_half(v128_t v) { return wasm_i32x4_shuffle(v, v, 2, 3, 2, 3); }

#endif
