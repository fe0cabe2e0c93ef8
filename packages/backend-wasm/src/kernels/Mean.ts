/**
 * Mean for wasm, replacing tfjs-backend-wasm 4.22's own for float32 reductions that keep the
 * innermost axis (batch norm's): float64 accumulation, no transpose (see reduce.ts for why). Other
 * reductions, and int32, go to the shipped kernel.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type KernelConfig, type KernelFunc, type MeanAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { WASM } from './kernel_utils.js';
import { keepsInnermostAxis, reduceFloat32 } from './reduce.js';

const NAME = 'Mean';

/** tfjs-backend-wasm's own Mean, captured before `registerTrainingKernels` replaces it. */
const shipped = getKernel(NAME, WASM);

export const mean: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as MeanAttrs;
  if (!keepsInnermostAxis(x, axis)) {
    if (!shipped) throw new Error(`${NAME}: tfjs-backend-wasm's Mean kernel, which reduces ${x.dtype} over [${String(axis)}] here, was not registered`);
    return shipped.kernelFunc(args);
  }
  return reduceFloat32(args.backend as BackendWasm, x, axis, keepDims, true);
};

export const meanConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: mean,
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
