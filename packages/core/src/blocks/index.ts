export { ADD_RELU_KERNEL, RELU_GRAD_KERNEL, addRelu, hasFusedAddRelu } from './add_relu.js';
export { basicBlock, basicBlockPlan } from './basic_block.js';
export { bottleneck, bottleneckPlan } from './bottleneck.js';
export { BN_EPSILON, BN_MOMENTUM, BN_RUNNING_STATS_KERNEL, batchNorm, updatedRunningStats, type BatchStats } from './batch_norm.js';
export {
  BATCH_NORM_TRAINING_GRAD_KERNEL,
  BATCH_NORM_TRAINING_KERNEL,
  batchNormTraining,
  batchNormTrainingComposite,
  hasFusedBatchNormTraining,
  type BatchNormTrainingResult,
} from './batch_norm_training.js';
export { convBnExecutor, type ConvBnExecutor, type ConvBnObserver, type ForwardContext } from './conv_bn.js';
export { shortcut, shortcutPlan, subsample, zeroPadShortcut } from './shortcut.js';
export type { BlockPlan, ConvPlan, ShortcutPlan } from './types.js';
