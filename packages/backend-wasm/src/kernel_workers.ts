/**
 * The workers that run the package's C kernels beside the calling thread (csrc/pool.c), so that a
 * convolution uses every thread the backend has. Each worker instantiates the threaded kernel module
 * on the backend's shared `WebAssembly.Memory` and calls `rn_worker_loop`, which sleeps on the
 * heap's job block until the calling thread publishes work: the same code runs in a Node
 * worker_thread (node.ts) and in a browser's Web Worker (index.ts, from a Blob URL, so that no
 * bundler has to find a file). They are separate from tfjs's pthread workers (XNNPACK's pool): both
 * sleep while the other pool works, so they share the cores without competing.
 */

/** How long a worker may take to compile its instance before the kernels run without it. */
export const WORKER_START_MS = 15_000;

/** What a worker needs: the compiled module, the shared heap and the job block's offset. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  job: number;
}

/** A started worker, as both platforms have them. */
export interface KernelWorker {
  terminate(): unknown;
}

/**
 * The worker's whole program, as source, after `prelude`, which each platform supplies (node.ts,
 * index.ts): it defines `post(message)` and calls `start(data)` with the first message received.
 * `post` says the worker is looping (or why not); then the loop blocks the worker's thread for good.
 * Plain JavaScript that runs in both worker kinds.
 */
export function workerProgram(prelude: string): string {
  return `'use strict';
async function start({ module, memory, job }) {
  let exports;
  try {
    const instance = await WebAssembly.instantiate(module, { env: {
      memory,
      __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
      __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
    } });
    exports = instance.exports;
  } catch (e) {
    post({ error: String(e && e.message ? e.message : e) });
    return;
  }
  post({ looping: true });
  exports.rn_worker_loop(job);
}
${prelude}
`;
}

/** Waits until a worker has its module (or says why not), at most `ms`. */
export function whenLooping(
  on: (listener: (message: unknown) => void) => void,
  ms: number,
): Promise<{ looping: true } | { error: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ error: `the worker did not start within ${ms} ms` }), ms);
    on((message) => {
      clearTimeout(timer);
      const m = message as { looping?: boolean; error?: string };
      resolve(m.looping ? { looping: true } : { error: m.error ?? 'the worker sent an unexpected message' });
    });
  });
}
