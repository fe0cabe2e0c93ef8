/**
 * Identity and same-dtype Cast for wasm without copying: the output shares the input's heap buffer
 * (a reference count, as the cpu and webgl backends and wasm's own Reshape do). Tensor data is never
 * written in place in tfjs (a variable's assign swaps in a new buffer), so sharing is safe.
 *
 * Why: tfjs-core clones (Identity) every tensor a gradient saves for the backward pass, and casts to
 * float32 what already is; tfjs-backend-wasm 4.22 copies each time. A ResNet-20 training step at
 * batch 128 ran ~590 Identity and ~60 Cast copies of whole activations, ~8% of the step's kernel time,
 * and each copy stayed alive until the backward pass reached it (the step's peak memory).
 * Other casts (a dtype change, strings) go to the shipped Cast kernel.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type CastAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { WASM } from './kernel_utils.js';

/** tfjs-backend-wasm's own kernels, captured before `registerTrainingKernels` replaces them. */
const shippedIdentity = getKernel('Identity', WASM);
const shippedCast = getKernel('Cast', WASM);

function share(x: TensorInfo, backend: BackendWasm): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identity: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') {
    if (shippedIdentity == null) throw new Error('Identity: tfjs-backend-wasm has no Identity kernel for strings');
    return shippedIdentity.kernelFunc(args);
  }
  return share(x, args.backend as BackendWasm);
};

export const cast: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (dtype === x.dtype && dtype !== 'string') return share(x, args.backend as BackendWasm);
  if (shippedCast == null) throw new Error(`Cast: tfjs-backend-wasm has no Cast kernel for ${x.dtype} → ${dtype}`);
  return shippedCast.kernelFunc(args);
};

export const identityConfig: KernelConfig = { kernelName: 'Identity', backendName: WASM, kernelFunc: identity };
export const castConfig: KernelConfig = {
  kernelName: 'Cast',
  backendName: WASM,
  kernelFunc: cast,
  ...(shippedCast?.setupFunc ? { setupFunc: shippedCast.setupFunc } : {}),
};
