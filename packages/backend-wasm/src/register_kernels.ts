/**
 * The kernels this package adds to (or replaces in) tfjs-backend-wasm 4.22 so that a ResNet trains on
 * wasm, in tfjs's own style: one file per kernel, one list. Found by running a training step of every
 * kind of ResNet (basic and bottleneck blocks, shortcuts A/B/C, plain nets, the ImageNet stem with
 * max pooling) under `tf.profile` on the cpu backend and comparing its kernels with wasm's.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { addReluConfig, reluGradConfig } from './kernels/AddRelu.js';
import { batchNormTrainingConfig, batchNormTrainingGradConfig } from './kernels/BatchNormTraining.js';
import { addConfig, multiplyConfig, subConfig } from './kernels/ChannelBinary.js';
import { conv2DConfig, fusedConv2DConfig } from './kernels/Conv2D.js';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput.js';
import { castConfig, identityConfig } from './kernels/Identity.js';
import { maxPoolGradConfig } from './kernels/MaxPoolGrad.js';
import { meanConfig } from './kernels/Mean.js';
import { sliceConfig } from './kernels/Slice.js';
import { sumConfig } from './kernels/Sum.js';
import { sgdMomentumConfig } from './kernels/SgdMomentum.js';
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
  // Present but 4–5× slower when one side is a per-channel [C] vector: that case runs in our C
  // (own_kernels.ts) when the module loaded on the backend, every other one in the shipped kernel.
  addConfig,
  subConfig,
  multiplyConfig,
  // Present (XNNPACK); the C kernel takes the shapes where it measured faster (kernels/Conv2D.ts).
  conv2DConfig,
  fusedConv2DConfig,
];

/**
 * Kernels that exist only in this package's C module (csrc/, wasm/): registered when the module
 * loads on the backend as it starts, unregistered when it cannot, so that @resnet/core, which asks
 * the registry whether a fused kernel is there, runs its composite tfjs ops instead.
 */
export const OWN_KERNELS: readonly KernelConfig[] = [
  // @resnet/core's fused kernels (blocks/batch_norm_training.ts, blocks/add_relu.ts, training/sgd.ts).
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  addReluConfig,
  reluGradConfig,
  sgdMomentumConfig,
];

/** Registers the training kernels for `wasm`, replacing any kernel of the same name. Idempotent. */
export function registerTrainingKernels(): void {
  for (const config of TRAINING_KERNELS) {
    // registerKernel only warns on a duplicate; unregistering first keeps the console quiet.
    if (getKernel(config.kernelName, config.backendName) != null) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
