/**
 * The three tfjs-backend-wasm binaries and @resnet/backend-wasm's own kernel modules (its C
 * kernels, one per memory kind) as URLs Vite serves in development and emits (hashed) into
 * dist/assets/ on build: `?url` makes each .wasm an asset of the build. @resnet/backend-wasm's
 * setWasmPaths takes the map before the backend starts (see its README).
 */
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import kernelsSimd from '@resnet/backend-wasm/wasm/resnet-kernels-simd.wasm?url';
import kernelsThreadedSimd from '@resnet/backend-wasm/wasm/resnet-kernels-threaded-simd.wasm?url';
import type { WasmPathMap } from './protocol';

/** Absolute URLs: the worker resolves relative ones against its own script, not the page. */
export function wasmPaths(): WasmPathMap {
  const absolute = (url: string): string => new URL(url, document.baseURI).href;
  return {
    'tfjs-backend-wasm.wasm': absolute(plain),
    'tfjs-backend-wasm-simd.wasm': absolute(simd),
    'tfjs-backend-wasm-threaded-simd.wasm': absolute(threadedSimd),
    'resnet-kernels-simd.wasm': absolute(kernelsSimd),
    'resnet-kernels-threaded-simd.wasm': absolute(kernelsThreadedSimd),
  };
}
