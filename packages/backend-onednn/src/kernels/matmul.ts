/** BatchMatMul and _FusedMatMul (bias + ReLU) on oneDNN's sgemm: the fc layer, its gradients, folded inference. */
import type { BatchMatMulAttrs, TensorInfo, _FusedMatMulAttrs } from '@tensorflow/tfjs-core';
import type { OneDnnBackend } from '../backend.js';
import { int32, isF32, nativeKernel, sizeOf } from './util.js';

function matmul(
  backend: OneDnnBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: TensorInfo | undefined,
  relu: boolean,
): TensorInfo | undefined {
  if (!isF32(a, b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== k2 || m <= 0 || n <= 0 || k <= 0) return undefined;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  // Equal batches, or one operand shared by every batch; other broadcasts run on the cpu kernel.
  const batchShape = batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  if (!(batchA === batchB || batchA === 1 || batchB === 1)) return undefined;
  if (batchA === batchB && ra === rb && a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return undefined;
  const batch = Math.max(batchA, batchB);
  if (bias && (!isF32(bias) || sizeOf(bias.shape) !== n)) return undefined;
  const out = backend.makeFloat32([...batchShape, m, n]);
  const view = int32([batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n]);
  backend.addon.batchMatMul(view, backend.f32(a), backend.f32(b), out.values, bias ? backend.f32(bias) : null, relu);
  return out.info;
}

export const batchMatMulConfig = nativeKernel('BatchMatMul', ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  return matmul(backend, a, b, transposeA, transposeB, undefined, false);
});

export const fusedMatMulConfig = nativeKernel('_FusedMatMul', ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: TensorInfo;
    b: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const { transposeA, transposeB, activation } = attrs as unknown as _FusedMatMulAttrs;
  if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return undefined;
  return matmul(backend, a, b, transposeA, transposeB, bias, activation === 'relu');
});
