// The package's public API, the same from both entry points (index.ts for browsers and bundlers,
// node.ts for Node), which differ only in the platform they install before re-exporting this.
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
