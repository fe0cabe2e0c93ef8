/**
 * The networks of "Deep Residual Learning for Image Recognition" (He et al., 2016) for TensorFlow.js, with training and evaluation.
 *
 * Every architecture of the paper, on whichever tfjs backend is registered: import a backend package
 * alongside (`@resnet/backend-wasm`, `@resnet/backend-webgpu`, …) and pick it with {@link useBackend}.
 * Start with {@link createModel}.
 *
 * @packageDocumentation
 */
import './register_gradients.js';

export { ResNetError } from './errors.js';
export { CheckError } from './checks.js';

// Architectures (Sec. 3.3, Table 1, Sec. 4.2; docs/paper.md)
export { MODEL_NAMES, checkSpec, resolveSpec, type ModelOptions } from './architectures/registry.js';
export {
  BOTTLENECK_EXPANSION,
  depthOf,
  isResidual,
  type BlockKind,
  type Family,
  type ResNetSpec,
  type ShortcutOption,
  type StrideIn,
} from './architectures/spec.js';
export { listModels, type ModelInfo } from './architectures/list.js';

// Building blocks and the model
export {
  BN_EPSILON,
  BN_MOMENTUM,
  BN_RUNNING_STATS_KERNEL,
  subsample,
  type BatchStats,
  type BlockPlan,
  type ConvBnObserver,
  type ConvPlan,
  type ShortcutPlan,
} from './blocks/index.js';
// Training-mode BN (+ ReLU), fused into one kernel on backends that register it (oneDNN)
export {
  BATCH_NORM_TRAINING_GRAD_KERNEL,
  BATCH_NORM_TRAINING_KERNEL,
  batchNormTraining,
  batchNormTrainingComposite,
  hasFusedBatchNormTraining,
  type BatchNormTrainingResult,
} from './blocks/index.js';
// The residual addition + ReLU, fused into one kernel on backends that register it (oneDNN)
export { ADD_RELU_KERNEL, RELU_GRAD_KERNEL, addRelu, hasFusedAddRelu } from './blocks/index.js';
export { backbone, forward, head, type BackboneResult, type ForwardOptions, type ForwardResult } from './model/forward.js';
export type { InitMode } from './model/init.js';
export {
  planNetwork,
  planWeights,
  type NetworkPlan,
  type PoolPlan,
  type StagePlan,
  type WeightInfo,
  type WeightRole,
} from './model/plan.js';
export { ResNet, createModel, type ApplyOptions, type CreateOptions, type StageFeatures } from './model/resnet.js';
export { FoldedResNet, foldBatchNorm } from './model/fold_bn.js';
export { FREEZE_BACKBONE, FREEZE_NONE, frozenParts, isHeadWeight, stageNames, type FrozenParts } from './model/freeze.js';
export { formatCount, formatSummary, summarize, type LayerSummary, type LayerType, type ModelSummary } from './model/summary.js';

export const VERSION = '0.1.0';

// Weight formats: PyTorch state dicts (safetensors) and TensorFlow.js's model.json + shards
export * from './weights/index.js';
export * from './formats/index.js';

// Published weights (torchvision's ImageNet ResNets) and ImageNet's class names
export * from './pretrained/index.js';

// Backend selection (backend packages register themselves here)
export * from './backends/index.js';

// Training
export * from './training/index.js';

// Seeded randomness (data order, augmentation) that checkpoints can save
export * from './random/index.js';

// Data sets, loaders and augmentation
export * from './data/index.js';

// Evaluation: top-1/top-5 error, per-class accuracy, confusion; 10-crop and multi-scale averaging
export * from './evaluation/index.js';

// The paper's analyses: degradation (Fig. 4/6) and layer responses (Fig. 7)
export * from './experiments/index.js';
