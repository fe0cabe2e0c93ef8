/**
 * Batch normalization [Ioffe & Szegedy], right after each convolution (Sec. 3.4).
 * Training mode normalizes with the batch's statistics and reports them so the caller can update the
 * running statistics; inference mode uses the running (population) statistics (Sec. 4, "BN at test").
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from './batch_norm_training.js';

/** PyTorch's defaults, so imported weights behave the same. */
export const BN_EPSILON = 1e-5;
/** running ← (1 − momentum)·running + momentum·batch, PyTorch's convention (Keras' 0.99 is 1 − this). */
export const BN_MOMENTUM = 0.1;

export interface BatchStats {
  readonly mean: tf.Tensor1D;
  /** Biased (divide-by-n) variance, as used to normalize. */
  readonly variance: tf.Tensor1D;
  /** Values per channel that the statistics were taken over (N·H·W). */
  readonly count: number;
}

export interface BatchNormParams {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  readonly runningMean: tf.Tensor;
  readonly runningVar: tf.Tensor;
}

/**
 * BN of `x`, then ReLU if `relu` (the ReLU that follows a BN directly, fused with it where the
 * backend has the fused training kernel: see batch_norm_training.ts).
 */
export function batchNorm(
  x: tf.Tensor4D,
  p: BatchNormParams,
  training: boolean,
  epsilon: number,
  relu = false,
): { y: tf.Tensor4D; stats: BatchStats | null } {
  if (!training) {
    const y = tf.batchNorm(
      x,
      p.runningMean as tf.Tensor1D,
      p.runningVar as tf.Tensor1D,
      p.beta as tf.Tensor1D,
      p.gamma as tf.Tensor1D,
      epsilon,
    ) as tf.Tensor4D;
    return { y: relu ? tf.relu(y) : y, stats: null };
  }
  const { y, mean, variance } = batchNormTraining(x, p.gamma, p.beta, epsilon, relu);
  const [n, h, w] = x.shape;
  return { y, stats: { mean, variance, count: n * h * w } };
}

/**
 * The running-statistics update of one BN as one kernel, which a backend may register (the webgpu
 * backend does): inputs `{ runningMean, runningVar, mean, variance }` (float32 [C]), attrs
 * `{ momentum, count }`, outputs `[runningMean', runningVar']` with, in float32 and in this order and
 * with the constants rounded to float32: u = variance·(count/(count−1)) (variance itself when
 * count ≤ 1), runningMean' = runningMean·(1−momentum) + mean·momentum,
 * runningVar' = runningVar·(1−momentum) + u·momentum. Without it the same seven tfjs ops run; one
 * kernel instead of seven per BN is ~110 fewer kernel launches per ResNet-20 training step.
 */
export const BN_RUNNING_STATS_KERNEL = 'ResNetBatchNormRunningStats';

/**
 * The new running statistics after one training batch. The running variance takes the unbiased
 * batch variance (·n/(n−1)), as PyTorch does, so a model trained here and one trained there agree.
 */
export function updatedRunningStats(
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  stats: BatchStats,
  momentum: number,
): { mean: tf.Tensor; variance: tf.Tensor } {
  if (tf.getKernel(BN_RUNNING_STATS_KERNEL, tf.getBackend()) != null) {
    const [mean, variance] = tf
      .engine()
      .runKernel<
        tf.Tensor[]
      >(BN_RUNNING_STATS_KERNEL, { runningMean, runningVar, mean: stats.mean, variance: stats.variance }, { momentum, count: stats.count });
    return { mean: mean!, variance: variance! };
  }
  return tf.tidy(() => {
    const unbiased = stats.count > 1 ? tf.mul(stats.variance, stats.count / (stats.count - 1)) : stats.variance;
    const mean = tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(stats.mean, momentum));
    const variance = tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum));
    return { mean, variance };
  });
}
