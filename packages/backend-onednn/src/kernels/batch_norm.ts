/**
 * Batch norm (Sec. 3.4): @resnet/core's fused training op and its closed-form gradient (the kernel
 * contract is in core's blocks/batch_norm.ts), and tfjs's FusedBatchNorm for inference, NHWC.
 */
import type { FusedBatchNormAttrs, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { int32, isF32, nativeKernel, sizeOf } from './util.js';

/** [N, H, W, C] of a rank-4 float32 tensor, or undefined. */
function nhwc(x: TensorInfo): Int32Array | undefined {
  if (x.shape.length !== 4 || x.dtype !== 'float32' || x.shape.some((d) => d <= 0)) return undefined;
  return int32(x.shape);
}

function perChannel(c: number, ...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t !== undefined && t.dtype === 'float32' && sizeOf(t.shape) === c && t.shape.length === 1);
}

interface TrainingAttrs {
  varianceEpsilon: number;
  relu: boolean;
}

function trainingAttrs(attrs: NamedAttrMap | undefined): TrainingAttrs {
  const { varianceEpsilon, relu } = (attrs ?? {}) as unknown as TrainingAttrs;
  if (typeof varianceEpsilon !== 'number' || !(varianceEpsilon >= 0))
    throw new Error(`onednn: ResNetBatchNormTraining needs varianceEpsilon ≥ 0, got ${String(varianceEpsilon)}`);
  return { varianceEpsilon, relu: relu === true };
}

export const batchNormTrainingConfig = nativeKernel('ResNetBatchNormTraining', ({ inputs, backend, attrs }) => {
  const { x, scale, offset } = inputs as { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
  const shape = nhwc(x);
  if (!shape) throw new Error(`onednn: ResNetBatchNormTraining needs a float32 [N, H, W, C] input, got ${x.dtype} [${x.shape.join(', ')}]`);
  const c = shape[3]!;
  if (!perChannel(c, scale, offset))
    throw new Error(
      `onednn: ResNetBatchNormTraining needs float32 [${c}] scale and offset, got [${scale.shape.join(', ')}] and [${offset.shape.join(', ')}]`,
    );
  const { varianceEpsilon, relu } = trainingAttrs(attrs);
  const y = backend.makeFloat32([...x.shape]);
  const mean = backend.makeFloat32([c]);
  const variance = backend.makeFloat32([c]);
  backend.addon.batchNormTraining(
    shape,
    backend.f32(x),
    backend.f32(scale),
    backend.f32(offset),
    varianceEpsilon,
    relu,
    y.values,
    mean.values,
    variance.values,
    relu ? backend.tensorKey(y.info) : -1,
  );
  return [y.info, mean.info, variance.info];
});

export const batchNormTrainingGradConfig = nativeKernel('ResNetBatchNormTrainingGrad', ({ inputs, backend, attrs }) => {
  const { dy, x, scale, mean, variance, y } = inputs as Record<string, TensorInfo>;
  const shape = nhwc(x!);
  if (!shape || !isF32(dy) || sizeOf(dy!.shape) !== sizeOf(x!.shape)) {
    throw new Error(
      `onednn: ResNetBatchNormTrainingGrad needs float32 [N, H, W, C] dy and x of one shape, got [${dy?.shape.join(', ')}] and [${x?.shape.join(', ')}]`,
    );
  }
  const c = shape[3]!;
  if (!perChannel(c, scale, mean, variance))
    throw new Error(`onednn: ResNetBatchNormTrainingGrad needs float32 [${c}] scale, mean and variance`);
  const { varianceEpsilon, relu } = trainingAttrs(attrs);
  if (relu && (!y || !isF32(y) || sizeOf(y.shape) !== sizeOf(x!.shape)))
    throw new Error('onednn: ResNetBatchNormTrainingGrad with relu needs the forward output y');
  const dx = backend.makeFloat32([...x!.shape]);
  const dScale = backend.makeFloat32([c]);
  const dOffset = backend.makeFloat32([c]);
  backend.addon.batchNormTrainingGrad(
    shape,
    backend.f32(dy!),
    backend.f32(x!),
    backend.f32(scale!),
    backend.f32(mean!),
    backend.f32(variance!),
    relu ? backend.f32(y!) : null,
    varianceEpsilon,
    dx.values,
    dScale.values,
    dOffset.values,
    relu ? backend.tensorKey(y!) : -1,
  );
  return [dx.info, dScale.info, dOffset.info];
});

export const fusedBatchNormConfig = nativeKernel('FusedBatchNorm', ({ inputs, backend, attrs }) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined>;
  const shape = nhwc(x!);
  if (!shape) return undefined;
  const c = shape[3]!;
  if (!perChannel(c, mean, variance, offset, scale)) return undefined;
  const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
  const y = backend.makeFloat32([...x!.shape]);
  backend.addon.batchNormInference(
    shape,
    backend.f32(x!),
    backend.f32(mean!),
    backend.f32(variance!),
    backend.f32(scale!),
    backend.f32(offset!),
    varianceEpsilon,
    false,
    y.values,
  );
  return y.info;
});
