export { SGD, SGD_MOMENTUM_KERNEL, trainableParams, type NamedVariable, type SgdOptions, type WeightDecayScope } from './sgd.js';
export {
  LearningRateSchedule,
  checkSchedule,
  describeSchedule,
  scheduleSteps,
  type DecaySpec,
  type LearningRateStep,
  type ScheduleSpec,
  type ScheduleState,
  type WarmupSpec,
} from './schedule.js';
export { RECIPE_NAMES, checkTrainConfig, checkTrainOverrides, resolveRecipe, type TrainConfig, type TrainOverrides } from './recipes.js';
export { planRun, type RunOverrides, type RunPlan, type RunPlanOptions } from './run_plan.js';
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
export {
  Training,
  type TrainingRunOptions,
  type StepInfo,
  type TrainingData,
  type TrainingEvents,
  type TrainingOutcome,
} from './trainer.js';
export { variableGrads } from './gradients.js';
