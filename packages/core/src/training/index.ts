export { SGD, SGD_MOMENTUM_KERNEL, trainableParams, type NamedVariable, type SgdOptions, type WeightDecayScope } from './sgd.js';
export { LearningRateSchedule, checkSchedule, describeSchedule, type DecaySpec, type ScheduleSpec, type ScheduleState, type WarmupSpec } from './schedule.js';
export { RECIPE_NAMES, checkTrainConfig, resolveRecipe, type TrainConfig, type TrainOverrides } from './recipes.js';
export { TrainingDivergedError, batchTensor, trainStep, type StepResult } from './step.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  parseCheckpoint,
  serializeCheckpoint,
  type Checkpoint,
  type CheckpointMeta,
  type EvalRecord,
  type LogRecord,
  type PendingInterval,
  type TrainingHistory,
} from './checkpoint.js';
export { Training, type RunOptions as TrainingRunOptions, type StepInfo, type TrainingData, type TrainingEvents, type TrainingOutcome } from './trainer.js';
export { variableGrads } from './gradients.js';
