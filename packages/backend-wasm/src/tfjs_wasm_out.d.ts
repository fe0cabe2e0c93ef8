/**
 * tfjs-backend-wasm ships no types for its pthread worker script, a CommonJS module whose one
 * export is the script's text (what tfjs's loader, and browser_threads.ts, start each worker from).
 */
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  export const wasmWorkerContents: string;
}
