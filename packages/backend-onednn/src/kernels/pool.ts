/** Max and average pooling and their gradients, NHWC (the ImageNet stem's 3×3 max pool, the global average pool). */
import {
  backend_util,
  type AvgPoolAttrs,
  type AvgPoolGradAttrs,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { int32, isF32, nativeKernel } from './util.js';

function geometry(info: backend_util.Conv2DInfo): Int32Array | undefined {
  const p = info.padInfo;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') return undefined;
  if (
    p.top < 0 ||
    p.left < 0 ||
    p.bottom < 0 ||
    p.right < 0 ||
    p.top >= info.filterHeight ||
    p.bottom >= info.filterHeight ||
    p.left >= info.filterWidth ||
    p.right >= info.filterWidth
  )
    return undefined;
  if (Math.floor((info.inHeight + p.top + p.bottom - info.filterHeight) / info.strideHeight) + 1 !== info.outHeight) return undefined;
  if (Math.floor((info.inWidth + p.left + p.right - info.filterWidth) / info.strideWidth) + 1 !== info.outWidth) return undefined;
  if ([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth].some((d) => d <= 0)) return undefined;
  return int32([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ]);
}

function poolInfo(x: TensorInfo, attrs: MaxPoolAttrs | AvgPoolAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function forward(max: boolean) {
  return nativeKernel(max ? 'MaxPool' : 'AvgPool', ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (!isF32(x) || x.shape.length !== 4) return undefined;
    const info = poolInfo(x, attrs as unknown as MaxPoolAttrs);
    const g = geometry(info);
    if (!g) return undefined;
    const y = backend.makeFloat32([info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
    backend.addon.poolForward(g, max, backend.f32(x), y.values);
    return y.info;
  });
}

export const maxPoolConfig = forward(true);
export const avgPoolConfig = forward(false);

export const maxPoolGradConfig = nativeKernel('MaxPoolGrad', ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (!isF32(dy, input) || input.shape.length !== 4) return undefined;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const g = geometry(info);
  if (!g || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
  const dx = backend.makeFloat32([...input.shape]);
  backend.addon.maxPoolBackward(g, backend.f32(dy), backend.f32(input), dx.values);
  return dx.info;
});

export const avgPoolGradConfig = nativeKernel('AvgPoolGrad', ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (!isF32(dy) || input.shape.length !== 4) return undefined;
  const { filterSize, strides, pad } = attrs as unknown as AvgPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad);
  const g = geometry(info);
  if (!g || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
  const dx = backend.makeFloat32([...input.shape]);
  backend.addon.avgPoolBackward(g, backend.f32(dy), dx.values);
  return dx.info;
});
