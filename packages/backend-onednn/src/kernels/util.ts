/** What the kernels share: the backend's type, the cpu fallback, and the checks before native code. */
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { OneDnnBackend } from '../backend.js';

export const BACKEND = 'onednn';

export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: OneDnnBackend;
  attrs?: NamedAttrMap;
}

/**
 * tfjs's cpu kernel of the same name, run on this backend (it is a cpu backend underneath): what a
 * native kernel does for inputs it does not handle (other dtypes, layouts, broadcasts).
 */
export function cpuKernel(name: string): KernelFunc {
  const k = getKernel(name, 'cpu');
  if (!k) throw new Error(`onednn: tfjs's cpu backend has no ${name} kernel (import @tensorflow/tfjs-backend-cpu first)`);
  return k.kernelFunc;
}

/** A kernel config whose function falls back to the cpu kernel when `native` returns undefined. */
export function nativeKernel(kernelName: string, native: (args: KernelArgs) => TensorInfo | TensorInfo[] | undefined): KernelConfig {
  let fallback: KernelFunc | undefined;
  return {
    kernelName,
    backendName: BACKEND,
    kernelFunc: (args) => {
      const out = native(args as unknown as KernelArgs);
      if (out !== undefined) return out;
      fallback ??= cpuKernel(kernelName);
      return fallback(args);
    },
  };
}

export function isF32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t !== undefined && t.dtype === 'float32');
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function int32(values: readonly number[]): Int32Array {
  for (const v of values) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`onednn: ${v} is not a 32-bit integer`);
  }
  return Int32Array.from(values);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
