/**
 * Batch normalization in training mode (BN right after each convolution, before the activation,
 * Sec. 3.4), optionally with the ReLU that follows it. A backend may supply it as one kernel,
 * `ResNetBatchNormTraining` (the oneDNN backend does), with a closed-form gradient kernel: one
 * kernel each way instead of the ~10 that `tf.moments` + `tf.batchNorm` + `tf.relu` and their
 * gradients take. Without it, the composite tfjs ops run, exactly as before the kernel existed, so
 * every other backend computes what it always did.
 *
 * Kernel contract (NHWC, float32):
 * - `ResNetBatchNormTraining`: inputs `{ x: [N,H,W,C], scale: [C], offset: [C] }`, attrs
 *   `{ varianceEpsilon, relu }`; outputs `[y, mean, variance]`, y = (relu?)(γ·(x−mean)/√(var+ε)+β),
 *   mean and the biased variance (÷ N·H·W) over N, H, W.
 * - `ResNetBatchNormTrainingGrad`: inputs `{ dy, x, scale, mean, variance, y }`, same attrs; outputs
 *   `[dx, dScale, dOffset]`. With x̂ = (x−mean)·invstd, g = relu ? dy·[y>0] : dy, M = N·H·W:
 *   dOffset = Σg, dScale = Σg·x̂, dx = γ·invstd/M·(M·g − dOffset − x̂·dScale), the full gradient of y
 *   through the batch statistics. Gradients arriving at the mean and variance outputs are taken as
 *   zero: nothing differentiates through them (they only feed the running statistics).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError } from '../errors.js';
import { hasKernels, registerGradientOnce } from './fused_kernel.js';

/**
 * The fused forward kernel a backend may register: inputs `{ x: [N,H,W,C], scale: [C], offset: [C] }`
 * (float32 NHWC), attrs `{ varianceEpsilon: number, relu: boolean }`, outputs `[y, mean, variance]`
 * with y = γ·(x−mean)/√(variance+ε)+β (then ReLU when `relu`) and the biased (÷ N·H·W) variance.
 */
export const BATCH_NORM_TRAINING_KERNEL = 'ResNetBatchNormTraining';
/**
 * Its gradient kernel, which a backend registering the forward must register too: inputs
 * `{ dy, x, scale, mean, variance, y }` (y the forward's output, which masks dy where y ≤ 0 when
 * `relu`), the forward's attrs, outputs `[dx, dScale, dOffset]` in the closed form: with
 * x̂ = (x−mean)/√(variance+ε), g = dy masked, M = N·H·W, dOffset = Σg, dScale = Σg·x̂,
 * dx = γ/√(variance+ε)/M·(M·g − dOffset − x̂·dScale).
 */
export const BATCH_NORM_TRAINING_GRAD_KERNEL = 'ResNetBatchNormTrainingGrad';

/** What batchNormTraining returns: the output and the batch statistics it normalized with. */
export interface BatchNormTrainingResult {
  /** The normalized (and, when asked, rectified) output, x's shape. */
  readonly y: tf.Tensor4D;
  /** The batch mean per channel. */
  readonly mean: tf.Tensor1D;
  /** The biased (÷ N·H·W) batch variance per channel, the one y was normalized with. */
  readonly variance: tf.Tensor1D;
}

/** Whether `backend` (the active one by default) has both fused kernels, so batchNormTraining uses them. */
export function hasFusedBatchNormTraining(backend: string = tf.getBackend()): boolean {
  return hasKernels([BATCH_NORM_TRAINING_KERNEL, BATCH_NORM_TRAINING_GRAD_KERNEL], backend);
}

/**
 * Training-mode BN of NHWC `x` with the batch's statistics, then ReLU if `relu`: the fused kernel
 * when the active backend has it, the composite tfjs ops otherwise. Differentiable with respect to
 * x, γ and β (not through the returned mean and variance).
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): BatchNormTrainingResult {
  checkShapes(x, gamma, beta);
  return hasFusedBatchNormTraining()
    ? fusedBatchNormTraining(x, gamma, beta, epsilon, relu)
    : compositeBatchNormTraining(x, gamma, beta, epsilon, relu);
}

/** The tfjs ops that batchNormTraining runs without the fused kernel (to compare the two paths on one backend). */
export function batchNormTrainingComposite(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): BatchNormTrainingResult {
  checkShapes(x, gamma, beta);
  return compositeBatchNormTraining(x, gamma, beta, epsilon, relu);
}

function checkShapes(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): void {
  if (x.rank !== 4) throw new ResNetError(`batchNormTraining: x must be NHWC [N, H, W, C], got [${x.shape.join(', ')}]`);
  const c = x.shape[3]!;
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== c)
      throw new ResNetError(`batchNormTraining: ${name} must be [${c}] for x of [${x.shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

function compositeBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): BatchNormTrainingResult {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const normalized = tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, epsilon) as tf.Tensor4D;
    return { y: relu ? tf.relu(normalized) : normalized, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

function fusedBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): BatchNormTrainingResult {
  registerGradientOnce(BATCH_NORM_TRAINING_GRADIENT);
  const [y, mean, variance] = tf
    .engine()
    .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_KERNEL, { x, scale: gamma, offset: beta }, { varianceEpsilon: epsilon, relu });
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

const BATCH_NORM_TRAINING_GRADIENT: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING_KERNEL,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dy, saved, attrs) => {
    // Three outputs, so tfjs passes one dy per output (zeros for the unused ones); only y's is used.
    const dyY = Array.isArray(dy) ? dy[0]! : dy;
    const [x, scale, y, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // One kernel for all three gradients, run now: the lazy getters below are each called in their
    // own tidy, which would dispose the outputs another getter returns. Unused ones are freed with
    // the rest of the backward pass.
    const [dx, dScale, dOffset] = tf
      .engine()
      .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_GRAD_KERNEL, { dy: dyY, x, scale, mean, variance, y }, attrs);
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};
