/**
 * The kernels this package adds to (or replaces in) tfjs-backend-wasm 4.22 so that a ResNet trains on
 * wasm, in tfjs's own style: one file per kernel, one list. Found by running a training step of every
 * kind of ResNet (basic and bottleneck blocks, shortcuts A/B/C, plain nets, the ImageNet stem with
 * max pooling) under `tf.profile` on the cpu backend and comparing its kernels with wasm's.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput.js';
import { castConfig, identityConfig } from './kernels/Identity.js';
import { maxPoolGradConfig } from './kernels/MaxPoolGrad.js';
import { meanConfig } from './kernels/Mean.js';
import { sliceConfig } from './kernels/Slice.js';
import { sumConfig } from './kernels/Sum.js';
import { tileConfig } from './kernels/Tile.js';

export const TRAINING_KERNELS: readonly KernelConfig[] = [
  // Missing: the gradient of every convolution's weights.
  conv2DBackpropFilterConfig,
  // Present but a scalar loop, ~10× slower than XNNPACK: replaced.
  conv2DBackpropInputConfig,
  // Present but slow where a training step uses them: the batch-norm gradient's Tile (400× here)
  // and option A's Slice (8×; 170× above rank 4). Replaced; the shipped ones remain the fallback
  // for short runs and strings.
  tileConfig,
  sliceConfig,
  // Present but wrong: loses the gradient of windows whose values are all ≤ 0.
  maxPoolGradConfig,
  // Present but float32 accumulators: batch norm's gradient sums lose too much to cancellation.
  sumConfig,
  meanConfig,
  // Present but copying: every tensor a gradient saves is cloned (Identity), and float32 is cast to
  // float32. Replaced by shared buffers; other casts go to the shipped kernel.
  identityConfig,
  castConfig,
];

/** Registers the training kernels for `wasm`, replacing any kernel of the same name. Idempotent. */
export function registerTrainingKernels(): void {
  for (const config of TRAINING_KERNELS) {
    // registerKernel only warns on a duplicate; unregistering first keeps the console quiet.
    if (getKernel(config.kernelName, config.backendName) != null) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
