/**
 * TensorFlow.js's WebAssembly backend (XNNPACK, SIMD) for `@resnet/core`, with the kernels it lacks to train a ResNet.
 *
 * This is the entry point for browsers and bundlers; Node loads `node.ts` (package.json `exports`),
 * which imports no Node module here. In a browser, tell tfjs where your bundler serves the three
 * .wasm files before the backend starts:
 *
 * ```ts
 * import { setWasmPaths } from '@resnet/backend-wasm';
 * setWasmPaths('/assets/tfjs-wasm/');   // holds tfjs-backend-wasm{,-simd,-threaded-simd}.wasm
 * await useBackend('wasm');             // and resnet-kernels{,-threaded}-simd.wasm (this package's wasm/)
 * ```
 *
 * Threads: when the page is cross-origin isolated (threads need SharedArrayBuffer), the backend
 * runs tfjs's threaded SIMD build with one thread per logical core the page offers
 * (`navigator.hardwareConcurrency`, at most `MAX_THREADS`), or `setThreadsCount(n)`'s n; otherwise
 * one thread. tfjs's own loader would give at most half the logical cores (its C++ divides the count
 * by 2 and caps `setThreadsCount` there), so this entry starts the threaded build itself
 * (browser_threads.ts). If that fails, tfjs's loader starts the backend instead, with a warning in
 * the status.
 *
 * @packageDocumentation
 */
import { getThreadsCount as tfjsThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { MAX_THREADS, install, mappedKernelFile, state } from './backend.js';
import { startThreadedBrowser } from './browser_threads.js';
import { WORKER_START_MS, workerProgram, whenLooping } from './kernel_workers.js';
import type { KernelBinary } from './own_kernels.js';

/**
 * This package's kernel modules: the map's entry, else beside tfjs's files in setWasmPaths's
 * directory, else this package's own wasm/ relative to this script (unbundled, or a bundler that
 * keeps `new URL(…, import.meta.url)` assets).
 */
function locateKernels(name: KernelBinary): { location: string } {
  const mapped = mappedKernelFile(name);
  if (mapped !== undefined) return { location: mapped };
  if (typeof state.paths === 'string') return { location: state.paths + name };
  return { location: new URL(`../wasm/${name}`, import.meta.url).href };
}

async function fetchKernels(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`fetching it answered ${response.status} ${response.statusText}`);
  return response.arrayBuffer();
}

/** The browser default: one thread per logical core the page offers, at most MAX_THREADS. */
function defaultThreads(): number {
  const cores = globalThis.navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_THREADS, Number.isInteger(cores) && cores! > 0 ? cores! : 1));
}

/** Whether threads can run: SIMD, and memory the page may share (cross-origin isolated), as tfjs checks. */
async function threadsSupported(simd: boolean): Promise<boolean> {
  return simd && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

install({
  unavailableReason: () => (typeof WebAssembly === 'object' ? undefined : 'this JavaScript engine has no WebAssembly'),
  async plannedThreads(simd) {
    return (await threadsSupported(simd)) ? (state.threads ?? defaultThreads()) : 1;
  },
  backendFactory: (shipped) => async () => {
    state.warnings = [];
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const threads = state.threads ?? defaultThreads();
    if (threads > 1 && (await threadsSupported(simd))) {
      try {
        const backend = await startThreadedBrowser(threads);
        const got = tfjsThreadsCount();
        if (got !== threads) state.warnings.push(`tfjs's thread pool got ${got} threads instead of ${threads}`);
        return backend;
      } catch (e) {
        state.warnings.push(
          `the threaded build failed to start with ${threads} threads (${message(e)}); tfjs's own loader starts instead, with at most half the logical cores`,
        );
      }
    }
    // tfjs's loader: the threaded build where threads can run (with at most half the logical
    // cores), else the SIMD or plain one.
    return shipped();
  },
  wasmLocation: () =>
    state.paths === undefined
      ? 'next to the tfjs-backend-wasm script (call setWasmPaths if a bundler moved them)'
      : typeof state.paths === 'string'
        ? state.paths
        : 'a file map (setWasmPaths)',
  failureHint: 'Call setWasmPaths() with the URL where the three tfjs-backend-wasm .wasm files are served, before the backend starts.',
  kernels: {
    locate: locateKernels,
    read: fetchKernels,
    // A page's main thread may not block; a worker's may.
    mayWait: typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined',
    startWorker(start) {
      // From a Blob URL: no file for a bundler to find, and it inherits the page's isolation.
      const url = URL.createObjectURL(
        new Blob([workerProgram('const post = (m) => self.postMessage(m);\nself.onmessage = (e) => start(e.data);')], {
          type: 'text/javascript',
        }),
      );
      const worker = new Worker(url);
      const looping = whenLooping((listener) => {
        worker.onmessage = (e: MessageEvent) => listener(e.data);
        worker.onerror = (e: ErrorEvent) => listener({ error: e.message || 'the worker failed to load' });
      }, WORKER_START_MS);
      worker.postMessage(start);
      return { worker, looping };
    },
  },
});

export * from './public_api.js';
