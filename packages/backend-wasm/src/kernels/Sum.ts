/**
 * Sum for wasm, replacing tfjs-backend-wasm 4.22's own for float32 reductions that keep the
 * innermost axis (batch norm's): float64 accumulation, no transpose (see reduce.ts for why). Other
 * reductions, and int32, go to the shipped kernel.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { WASM } from './kernel_utils.js';
import { keepsInnermostAxis, reduceFloat32 } from './reduce.js';

const NAME = 'Sum';

/** tfjs-backend-wasm's own Sum, captured before `registerTrainingKernels` replaces it. */
const shipped = getKernel(NAME, WASM);

export const sum: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  if (!keepsInnermostAxis(x, axis)) {
    if (!shipped) throw new Error(`${NAME}: tfjs-backend-wasm's Sum kernel, which reduces ${x.dtype} over [${String(axis)}] here, was not registered`);
    return shipped.kernelFunc(args);
  }
  return reduceFloat32(args.backend as BackendWasm, x, axis, keepDims, false);
};

export const sumConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: sum,
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
