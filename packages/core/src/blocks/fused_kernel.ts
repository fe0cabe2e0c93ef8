/**
 * What the fused kernels of add_relu.ts and batch_norm_training.ts share: a backend may register a
 * forward kernel and its gradient kernel (the oneDNN backend does); core uses them only when both are
 * there, and registers the gradient that ties them together on first use.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Whether `backend` has every one of `kernels`: a forward kernel is only used with its gradient kernel. */
export function hasKernels(kernels: readonly string[], backend: string): boolean {
  return kernels.every((name) => tf.getKernel(name, backend) != null);
}

const registered = new Set<string>();

/**
 * Registers `gradient` the first time it is asked for, so only programs that run the fused kernel
 * touch the gradient registry; one that is there already (a backend's own) is kept.
 */
export function registerGradientOnce(gradient: tf.GradConfig): void {
  if (registered.has(gradient.kernelName)) return;
  registered.add(gradient.kernelName);
  if (tf.getGradient(gradient.kernelName) != null) return;
  tf.registerGradient(gradient);
}
