/**
 * Data movement as one strided copy (native/elementwise.cc copyStrided): Slice (option A's
 * subsampling, Sec. 4.2), PadV2 (option A's zero channels), Transpose. Slice always copies: the cpu
 * kernel returns a view into its input, which a pooled buffer must never have (backend.ts).
 */
import { slice_util, type PadV2Attrs, type SliceAttrs, type TensorInfo, type TransposeAttrs } from '@tensorflow/tfjs-core';
import type { OneDnnBackend } from '../backend.js';
import { int32, nativeKernel, sizeOf, stridesOf } from './util.js';

function copyable(x: TensorInfo): boolean {
  return (x.dtype === 'float32' || x.dtype === 'int32') && x.shape.length >= 1 && x.shape.length <= 6 && sizeOf(x.shape) > 0;
}

function output(
  backend: OneDnnBackend,
  shape: number[],
  dtype: 'float32' | 'int32',
): { info: TensorInfo; values: Float32Array | Int32Array } {
  if (dtype === 'float32') return backend.makeFloat32(shape);
  const values = new Int32Array(sizeOf(shape));
  return { info: backend.makeTensorInfo(shape, 'int32', values), values };
}

function values(backend: OneDnnBackend, x: TensorInfo): Float32Array | Int32Array {
  // A float32 tensor may still hold the Int32Array of the int32 tensor it was cast from (the cpu
  // Cast shares it): f32() gives it float32 storage.
  if (x.dtype === 'float32') return backend.f32(x);
  const v = backend.data.get(x.dataId).values;
  return v instanceof Int32Array ? v : Int32Array.from(v as ArrayLike<number>);
}

export const sliceConfig = nativeKernel('Slice', ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (!copyable(x)) return undefined;
  const { begin, size } = attrs as unknown as SliceAttrs;
  const [b, s] = slice_util.parseSliceParams(x as never, begin, size) as [number[], number[]];
  slice_util.assertParamsValid(x as never, b, s);
  if (sizeOf(s) === 0) return undefined;
  const strides = stridesOf(x.shape);
  const offset = b.reduce((acc, v, i) => acc + v * strides[i]!, 0);
  const out = output(backend, s, x.dtype as 'float32' | 'int32');
  backend.addon.copyStrided(int32(s), int32(strides), offset, values(backend, x), int32(stridesOf(s)), 0, out.values);
  return out.info;
});

export const padV2Config = nativeKernel('PadV2', ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype !== 'float32' || !copyable(x)) return undefined;
  const { paddings, constantValue } = attrs as unknown as PadV2Attrs;
  if (paddings.some(([lo, hi]) => lo! < 0 || hi! < 0)) return undefined;
  const outShape = x.shape.map((d, i) => paddings[i]![0]! + d + paddings[i]![1]!);
  const out = backend.makeFloat32(outShape);
  backend.addon.fill(out.values, constantValue);
  const outStrides = stridesOf(outShape);
  const offset = paddings.reduce((acc, [lo], i) => acc + lo! * outStrides[i]!, 0);
  backend.addon.copyStrided(int32(x.shape), int32(stridesOf(x.shape)), 0, values(backend, x), int32(outStrides), offset, out.values);
  return out.info;
});

export const transposeConfig = nativeKernel('Transpose', ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (!copyable(x)) return undefined;
  const { perm } = attrs as unknown as TransposeAttrs;
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]!);
  const out = output(backend, outShape, x.dtype as 'float32' | 'int32');
  backend.addon.copyStrided(
    int32(outShape),
    int32(perm.map((p) => inStrides[p]!)),
    0,
    values(backend, x),
    int32(stridesOf(outShape)),
    0,
    out.values,
  );
  return out.info;
});
