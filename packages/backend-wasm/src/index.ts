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
 * await useBackend('wasm');
 * ```
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { install, state } from './backend.js';

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
});

export {
  MAX_THREADS,
  WASM_BINARIES,
  setThreadsCount,
  setWasmPaths,
  wasmBackend,
  wasmStatus,
  type WasmBinary,
  type WasmPaths,
} from './backend.js';
export { TRAINING_KERNELS, registerTrainingKernels } from './register_kernels.js';
