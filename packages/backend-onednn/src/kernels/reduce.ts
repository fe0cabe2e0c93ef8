/**
 * Sum, Mean, Max and Min over contiguous axes of a float32 tensor (batch norm's [0, 1, 2] over NHWC,
 * the global average pool's [1, 2], the loss's last axis), with double accumulators for sums.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { int32, isF32, nativeKernel, sizeOf } from './util.js';

const OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const;

/** [outer, reduced, inner] for contiguous sorted axes, or undefined. */
export function reduceView(shape: readonly number[], axes: readonly number[]): [number, number, number] | undefined {
  const sorted = [...axes].sort((p, q) => p - q);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return undefined;
  if (sorted.length === 0) return undefined;
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

function reduction(name: keyof typeof OPS) {
  return nativeKernel(name, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (!isF32(x) || sizeOf(x.shape) === 0) return undefined;
    // tfjs-core's kernel attrs name the axes `axis`, except Max's `reductionIndices`.
    const { axis, reductionIndices, keepDims } = attrs as unknown as {
      axis?: number | number[];
      reductionIndices?: number | number[];
      keepDims: boolean;
    };
    const axes = util.parseAxisParam(name === 'Max' ? reductionIndices! : axis!, x.shape);
    const view = reduceView(x.shape, axes);
    if (!view) return undefined;
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeFloat32(outShape);
    backend.addon.reduce(OPS[name], int32(view), backend.f32(x), out.values);
    return out.info;
  });
}

export const REDUCE_KERNELS = (Object.keys(OPS) as (keyof typeof OPS)[]).map(reduction);
