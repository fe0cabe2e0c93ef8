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
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { install, mappedKernelFile, state } from './backend.js';
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

install({
  unavailableReason: () => (typeof WebAssembly === 'object' ? undefined : 'this JavaScript engine has no WebAssembly'),
  async plannedThreads(simd) {
    // tfjs runs its threaded build when the page can share memory (cross-origin isolated), with
    // hardwareConcurrency / 2 threads by default (it assumes two hardware threads per core).
    if (!simd || !(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))) return 1;
    const cores = Math.max(1, Math.floor((globalThis.navigator?.hardwareConcurrency ?? 2) / 2));
    return Math.min(cores, state.threads ?? Math.min(cores, 8));
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

export {
  MAX_THREADS,
  WASM_BINARIES,
  setThreadsCount,
  setWasmPaths,
  wasmBackend,
  wasmStatus,
  KERNEL_BINARIES,
  type KernelBinary,
  type WasmBinary,
  type WasmPaths,
} from './backend.js';
export { TRAINING_KERNELS, registerTrainingKernels } from './register_kernels.js';
