/**
 * Every kernel this backend runs natively, in tfjs's style: one list. The rest are tfjs's cpu kernels
 * registered under `onednn` (register.ts). Chosen from `tf.profile` of a ResNet training step,
 * `evaluate` and folded inference: convolutions, batch norm, pooling, element-wise arithmetic,
 * reductions, matmul, the copies of option A, and core's fused SGD update.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormTrainingConfig, batchNormTrainingGradConfig, fusedBatchNormConfig } from './batch_norm.js';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig, conv2DConfig, fusedConv2DConfig } from './conv.js';
import { padV2Config, sliceConfig, transposeConfig } from './copy.js';
import { ELEMENTWISE_KERNELS, addReluConfig, reluGradConfig } from './elementwise.js';
import { batchMatMulConfig, fusedMatMulConfig } from './matmul.js';
import { avgPoolConfig, avgPoolGradConfig, maxPoolConfig, maxPoolGradConfig } from './pool.js';
import { REDUCE_KERNELS } from './reduce.js';
import { sgdMomentumConfig } from './sgd.js';

export const NATIVE_KERNELS: readonly KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  fusedBatchNormConfig,
  maxPoolConfig,
  avgPoolConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
  batchMatMulConfig,
  fusedMatMulConfig,
  sliceConfig,
  padV2Config,
  transposeConfig,
  sgdMomentumConfig,
  addReluConfig,
  reluGradConfig,
];
