// The thread pool of the package's kernels: the calling thread (tfjs's, the one that runs every
// kernel) and the workers src/kernel_pool.ts starts, each of which instantiates this module on the
// same shared memory and calls rn_worker_loop, which sleeps on the job's `seq` until there is work.
// The calling thread never sleeps (a browser's main thread may not): it takes items itself and spins
// for the last ones to finish. With the non-shared build (one thread), rn_parallel runs every item on
// the calling thread and the workers do not exist.
//
// Which thread runs which item varies from call to call, so a kernel's result must not depend on
// it: items write disjoint outputs, or partial results indexed by item (never by thread) that a
// later job sums in a fixed order (csrc/conv_filter.c).
#include "kernels.h"

static void run_item(const RnJob *job, size_t item) {
  switch (job->kind) {
    case RN_JOB_CONV2D: rn_conv2d_item(job, item); break;
    case RN_JOB_CONV2D_PACK: rn_conv2d_pack_item(job, item); break;
    case RN_JOB_CONV2D_FILTER: rn_conv2d_filter_item(job, item); break;
    case RN_JOB_SUM_PARTIALS: rn_sum_partials_item(job, item); break;
    case RN_JOB_CONV2D_INPUT: rn_conv2d_input_item(job, item); break;
    case RN_JOB_ADD_RELU: rn_add_relu_item(job, item); break;
    case RN_JOB_RELU_GRAD: rn_relu_grad_item(job, item); break;
    case RN_JOB_CHANNEL_BINARY: rn_channel_binary_item(job, item); break;
    case RN_JOB_WINOGRAD_INPUT: rn_winograd_input_item(job, item); break;
    case RN_JOB_WINOGRAD_GEMM: rn_winograd_gemm_item(job, item); break;
    case RN_JOB_WINOGRAD_OUTPUT: rn_winograd_output_item(job, item); break;
    case RN_JOB_BN_SUMS: rn_bn_sums_item(job, item); break;
    case RN_JOB_BN_FORWARD: rn_bn_forward_item(job, item); break;
    case RN_JOB_BN_BACKWARD: rn_bn_backward_item(job, item); break;
    default: break;  // the kinds are this module's own: rn_parallel is only called with them
  }
}

#ifdef __wasm_atomics__

// Claims and runs items until the job has none left.
static void take_items(RnJob *job) {
  for (;;) {
    uint64_t word = __atomic_load_n(&job->next, __ATOMIC_SEQ_CST);
    const uint32_t items = (uint32_t)(word >> 32), index = (uint32_t)word;
    if (index >= items) return;
    if (!__atomic_compare_exchange_n(&job->next, &word, word + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
    run_item(job, index);
    // The last item wakes the calling thread if it sleeps (rn_parallel).
    if (__atomic_add_fetch(&job->done, 1, __ATOMIC_SEQ_CST) == items) __builtin_wasm_memory_atomic_notify((int *)&job->done, 1);
  }
}

void rn_parallel(RnJob *job, uint32_t kind, size_t items) {
  if (items == 0) return;
  job->kind = kind;
  __atomic_store_n(&job->done, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&job->next, (uint64_t)items << 32, __ATOMIC_SEQ_CST);  // publishes kind and args too
  __atomic_fetch_add(&job->seq, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&job->workers, __ATOMIC_SEQ_CST) > 0) __builtin_wasm_memory_atomic_notify((int *)&job->seq, UINT32_MAX);
  take_items(job);
  // The last items run on workers: spin briefly, then sleep where the thread may (a core that other
  // processes want is better given to the worker than spent spinning). A page's main thread may not
  // sleep, and spins.
  for (int spin = 0; spin < 2000; spin++)
    if (__atomic_load_n(&job->done, __ATOMIC_SEQ_CST) == items) return;
  for (;;) {
    const uint32_t done = __atomic_load_n(&job->done, __ATOMIC_SEQ_CST);
    if (done == items) return;
    if (job->may_wait) __builtin_wasm_memory_atomic_wait32((int *)&job->done, (int)done, -1);
  }
}

// A worker's whole life: wait for a job, help with it, repeat; returns when `stop` is set.
EXPORT(rn_worker_loop) int rn_worker_loop(RnJob *job) {
  __atomic_fetch_add(&job->workers, 1, __ATOMIC_SEQ_CST);
  uint32_t seen = __atomic_load_n(&job->seq, __ATOMIC_SEQ_CST);
  for (;;) {
    // A short spin first: kernels of a training step come back to back, and a wake-up costs more.
    for (int spin = 0; spin < 4000 && __atomic_load_n(&job->seq, __ATOMIC_SEQ_CST) == seen; spin++) {
    }
    while (__atomic_load_n(&job->seq, __ATOMIC_SEQ_CST) == seen && !__atomic_load_n(&job->stop, __ATOMIC_SEQ_CST))
      __builtin_wasm_memory_atomic_wait32((int *)&job->seq, (int)seen, -1);
    if (__atomic_load_n(&job->stop, __ATOMIC_SEQ_CST)) break;
    seen = __atomic_load_n(&job->seq, __ATOMIC_SEQ_CST);
    take_items(job);
  }
  __atomic_fetch_sub(&job->workers, 1, __ATOMIC_SEQ_CST);
  return RN_OK;
}

// Makes every worker return from rn_worker_loop.
EXPORT(rn_pool_stop) int rn_pool_stop(RnJob *job) {
  __atomic_store_n(&job->stop, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&job->seq, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify((int *)&job->seq, UINT32_MAX);
  return RN_OK;
}

#else

void rn_parallel(RnJob *job, uint32_t kind, size_t items) {
  job->kind = kind;
  for (size_t i = 0; i < items; i++) run_item(job, i);
}

EXPORT(rn_worker_loop) int rn_worker_loop(RnJob *job) {
  (void)job;
  return RN_BAD_OP;  // this build has no shared memory, so no workers
}

EXPORT(rn_pool_stop) int rn_pool_stop(RnJob *job) {
  (void)job;
  return RN_OK;
}

#endif

// The size of the job block src/kernel_pool.ts allocates.
EXPORT(rn_job_bytes) size_t rn_job_bytes(void) { return sizeof(RnJob); }
