/**
 * σ(F(x) + x), the end of every residual block (Eqn. 1 and 2, Sec. 3.2): the addition and the ReLU
 * as one kernel where the backend has it (the oneDNN backend does), the two tfjs ops otherwise,
 * exactly as before. Fused, the forward makes one tensor instead of two (the sum is not kept for
 * the ReLU's gradient: the output masks it), and the backward one kernel instead of three.
 *
 * Kernel contract (float32, a and b of one shape):
 * - `ResNetAddRelu`: inputs `{ a, b }`, no attrs; output `y = max(a + b, 0)` (NaN stays NaN).
 * - `ResNetReluGrad`: inputs `{ dy, y }` (y the forward's output); output `dy · [y > 0]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasKernels, registerGradientOnce } from './fused_kernel.js';

export const ADD_RELU_KERNEL = 'ResNetAddRelu';
export const RELU_GRAD_KERNEL = 'ResNetReluGrad';

/** Whether `backend` (the active one by default) has both kernels, so addRelu uses them. */
export function hasFusedAddRelu(backend: string = tf.getBackend()): boolean {
  return hasKernels([ADD_RELU_KERNEL, RELU_GRAD_KERNEL], backend);
}

/** relu(a + b) for a and b of one shape: the fused kernel when the active backend has it. */
export function addRelu<T extends tf.Tensor>(a: T, b: T): T {
  if (a.shape.join() !== b.shape.join() || a.dtype !== 'float32' || b.dtype !== 'float32' || !hasFusedAddRelu())
    return tf.relu(tf.add(a, b)) as T;
  registerGradientOnce(ADD_RELU_GRADIENT);
  return tf.engine().runKernel(ADD_RELU_KERNEL, { a, b }, {}) as T;
}

const ADD_RELU_GRADIENT: tf.GradConfig = {
  kernelName: ADD_RELU_KERNEL,
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved as [tf.Tensor];
    const g = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y }, {}) as tf.Tensor;
    // Two inputs, one gradient: each gets its own tensor (a clone shares the data), since tfjs
    // disposes the gradients it accumulates one by one.
    return { a: () => g, b: () => tf.clone(g) };
  },
};
