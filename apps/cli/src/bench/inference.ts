/**
 * The models a case runs: the ResNet as built (`infer`, `train`), and for `infer-folded` its
 * inference form with batch norm folded into the convolutions (core's `foldBatchNorm`).
 */
import { foldBatchNorm, type ModelOptions, type ResNet } from '@resnet/core';
import type * as tf from '@tensorflow/tfjs-core';

export interface Predictor {
  predict(x: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

/** Our options for a benchmark model: ImageNet bottleneck nets in torchvision's layout (stride in the 3×3), as PyTorch runs them. */
export function benchModelOptions(model: string): ModelOptions {
  return /^resnet(50|101|152)$/.test(model) ? { strideIn: '3x3' } : {};
}

/** The BN-folded form of `model` (its `dispose` frees the folded weights, not the model). */
export function foldedPredictor(model: ResNet): Predictor {
  return foldBatchNorm(model);
}
