/**
 * The models a case runs: the ResNet as built, and (for `infer-folded`) its inference form with
 * batch norm folded into the convolutions, when @resnet/core provides one.
 *
 * The hook: core has no folded inference path yet. When it exports `foldBatchNorm(model)`
 * returning something with `predict(x)` and `dispose()`, `infer-folded` measures it; until then
 * `foldedPredictor` returns undefined and the case is reported as skipped with that reason.
 */
import * as core from '@resnet/core';
import type * as tf from '@tensorflow/tfjs-core';

export interface Predictor {
  predict(x: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

/** Our options for a benchmark model: ImageNet bottleneck nets in torchvision's layout (stride in the 3×3), as PyTorch runs them. */
export function benchModelOptions(model: string): core.ModelOptions {
  return /^resnet(50|101|152)$/.test(model) ? { strideIn: '3x3' } : {};
}

export const FOLD_UNAVAILABLE = '@resnet/core has no folded inference path (foldBatchNorm) yet';

function foldFunction(): ((m: core.ResNet) => Predictor) | undefined {
  const fold = (core as unknown as Record<string, unknown>)['foldBatchNorm'];
  return typeof fold === 'function' ? (fold as (m: core.ResNet) => Predictor) : undefined;
}

/** Whether core can fold BN for inference (else `infer-folded` cases are skipped with FOLD_UNAVAILABLE). */
export function foldAvailable(): boolean {
  return foldFunction() !== undefined;
}

/** The BN-folded form of `model`, or undefined when core has none. */
export function foldedPredictor(model: core.ResNet): Predictor | undefined {
  return foldFunction()?.(model);
}
