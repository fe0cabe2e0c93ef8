/** @resnet/core's ResNetSgdMomentum (training/sgd.ts): one parameter's SGD update as one kernel. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { isF32, nativeKernel, sizeOf } from './util.js';

export const sgdMomentumConfig = nativeKernel('ResNetSgdMomentum', ({ inputs, backend, attrs }) => {
  const { variable, velocity, gradient } = inputs as { variable: TensorInfo; velocity: TensorInfo; gradient: TensorInfo };
  const { learningRate, momentum, weightDecay } = attrs as unknown as { learningRate: number; momentum: number; weightDecay: number };
  const n = sizeOf(variable.shape);
  if (!isF32(variable, velocity, gradient) || sizeOf(velocity.shape) !== n || sizeOf(gradient.shape) !== n) {
    throw new Error(
      `onednn: ResNetSgdMomentum needs float32 variable, velocity and gradient of one shape, got [${variable.shape.join(', ')}], [${velocity.shape.join(', ')}], [${gradient.shape.join(', ')}]`,
    );
  }
  for (const [k, v] of Object.entries({ learningRate, momentum, weightDecay }))
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`onednn: ResNetSgdMomentum needs a finite ${k}, got ${String(v)}`);
  const v = backend.makeFloat32([...variable.shape]);
  const w = backend.makeFloat32([...variable.shape]);
  backend.addon.sgdMomentum(
    backend.f32(variable),
    backend.f32(velocity),
    backend.f32(gradient),
    learningRate,
    momentum,
    weightDecay,
    v.values,
    w.values,
  );
  return [v.info, w.info];
});
