/**
 * Conv2D, FusedConv2D (bias + ReLU, what folded inference runs) and both gradients, NHWC, on oneDNN.
 * Other data formats, activations, dilated gradients and shapes oneDNN's geometry check refuses
 * run on the cpu kernels.
 */
import {
  backend_util,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type FusedConv2DAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { OneDnnBackend } from '../backend.js';
import { int32, isF32, nativeKernel, sizeOf } from './util.js';

/** oneDNN's geometry for a convolution, or undefined when its pads and sizes do not fit oneDNN's formula. */
export function geometry(info: backend_util.Conv2DInfo): Int32Array | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  const p = info.padInfo;
  const ekh = (info.filterHeight - 1) * info.dilationHeight + 1;
  const ekw = (info.filterWidth - 1) * info.dilationWidth + 1;
  if (p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) return undefined;
  if (Math.floor((info.inHeight + p.top + p.bottom - ekh) / info.strideHeight) + 1 !== info.outHeight) return undefined;
  if (Math.floor((info.inWidth + p.left + p.right - ekw) / info.strideWidth) + 1 !== info.outWidth) return undefined;
  if ([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels].some((d) => d <= 0))
    return undefined;
  return int32([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

function forward(
  backend: OneDnnBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  training: boolean,
): TensorInfo | undefined {
  const g = geometry(info);
  if (!g || info.inChannels !== filter.shape[2]) return undefined;
  const { info: out, values } = backend.makeFloat32([info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
  backend.addon.conv2dForward(
    g,
    backend.f32(x),
    backend.f32(filter),
    bias ? backend.f32(bias) : null,
    values,
    relu,
    backend.tensorKey(filter),
    training,
  );
  return out;
}

export const conv2DConfig = nativeKernel('Conv2D', ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs;
  if (!isF32(x, filter) || x.shape.length !== 4) return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  return forward(backend, x, filter, info, undefined, false, true);
});

export const fusedConv2DConfig = nativeKernel('FusedConv2D', ({ inputs, backend, attrs }) => {
  const { x, filter, bias, preluActivationWeights } = inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as FusedConv2DAttrs;
  if (!isF32(x, filter) || x.shape.length !== 4 || preluActivationWeights) return undefined;
  if (activation !== 'linear' && activation !== 'relu') return undefined;
  if (bias && (!isF32(bias) || sizeOf(bias.shape) !== filter.shape[3] || bias.shape.length > 1)) return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  return forward(backend, x, filter, info, bias, activation === 'relu', false);
});

export const conv2DBackpropInputConfig = nativeKernel('Conv2DBackpropInput', ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (!isF32(dy, filter)) return undefined;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const g = geometry(info);
  if (!g || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
  const { info: out, values } = backend.makeFloat32([...inputShape]);
  backend.addon.conv2dBackwardData(g, backend.f32(dy), backend.f32(filter), values, backend.tensorKey(filter));
  return out;
});

export const conv2DBackpropFilterConfig = nativeKernel('Conv2DBackpropFilter', ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!isF32(x, dy) || x.shape.length !== 4) return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const g = geometry(info);
  if (!g || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
  const { info: out, values } = backend.makeFloat32([...filterShape]);
  backend.addon.conv2dBackwardWeights(g, backend.f32(x), backend.f32(dy), values);
  return out;
});
