// Every kernel this package registers for `webgpu`, over tfjs-backend-webgpu 4.22's own: the PadV2
// fix (pad.ts), and @resnet/core's fused kernels as WGSL programs: training-mode batch norm and its
// gradient and the running-statistics update (batch_norm.ts), the residual add + ReLU and its gradient (add_relu.ts), the
// SGD-with-momentum update (sgd.ts).
import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { addReluConfig, reluGradConfig } from './add_relu.js';
import { batchNormRunningStatsConfig, batchNormTrainingConfig, batchNormTrainingGradConfig } from './batch_norm.js';
import { patchPadV2 } from './pad.js';
import { sgdMomentumConfig } from './sgd.js';

export { collapsePaddings } from './pad.js';

export const WEBGPU_KERNELS: readonly KernelConfig[] = [
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  batchNormRunningStatsConfig,
  addReluConfig,
  reluGradConfig,
  sgdMomentumConfig,
];

let registered = false;

/** Registers the kernels once (tfjs's webgpu kernels must be registered first: import '@tensorflow/tfjs-backend-webgpu'). */
export function registerWebGPUKernels(): void {
  if (registered) return;
  registered = true;
  patchPadV2();
  for (const config of WEBGPU_KERNELS) if (!getKernel(config.kernelName, 'webgpu')) registerKernel(config);
}
