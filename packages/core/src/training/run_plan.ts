/**
 * A run's plan: the network, the training configuration and its learning-rate schedule, resolved once
 * from what was asked for (a model, a recipe, overrides) and what the data is (its classes and image
 * side), in that order, each step using the last: spec → the recipe for it → its schedule → the
 * configuration, checked. The CLI and the web page both start their runs from it.
 */
import { checkSpec, resolveSpec, type ModelOptions } from '../architectures/registry.js';
import type { ResNetSpec } from '../architectures/spec.js';
import { RESUMABLE_FIELDS, checkTrainConfig, recipeDefaults, withOverrides, type TrainConfig, type TrainOverrides } from './recipes.js';
import type { ScheduleSpec } from './schedule.js';
import { numberIn } from '../checks.js';

/** Recipe fields, and two changes to the recipe's schedule that keep its shape. */
export interface RunOverrides extends TrainOverrides {
  /** Replaces the schedule's base rate; the warm-up and the decays keep their shape. */
  readonly learningRate?: number;
  /**
   * `none` drops the warm-up; a number warms up for at most that many iterations, at the recipe's
   * warm-up rate or else a tenth of the base rate (the paper's 0.01 for 0.1, Sec. 4.2).
   */
  readonly warmup?: number | 'none';
  /** The backbone's base rate (transfer learning); the head keeps the schedule's. Sets `backboneLrScale` to its ratio to the base rate. */
  readonly backboneLearningRate?: number;
}

export interface RunPlanOptions {
  /** A registry name (built for `data`), or the spec of a network already built. */
  readonly model: string | ResNetSpec;
  /** What a network named by `model` is built for: the data's classes and, when given, its image side and channels (1 for grayscale sets). */
  readonly data?: { readonly numClasses: number; readonly inputSize?: number; readonly inputChannels?: number };
  /** Other options of a network named by `model` (the layout of pretrained weights: widths, `strideIn` …); `data` wins. */
  readonly modelOptions?: ModelOptions;
  /** A recipe name ({@link RECIPE_NAMES}). */
  readonly recipe: string;
  readonly overrides?: RunOverrides;
  /** Upper bounds of the reporting intervals, applied after the overrides: `{ logEvery: 15 }` logs at least every 15 iterations. */
  readonly atMost?: {
    readonly logEvery?: number;
    readonly evalEvery?: number;
    readonly checkpointEvery?: number;
    readonly evalBatchSize?: number;
  };
  /**
   * Stretch the recipe's step milestones and warm-up from its own length to the run's `iterations`
   * (milestones that land at or past the end are dropped): a shorter run keeps the schedule's shape.
   */
  readonly scaleSchedule?: boolean;
  /**
   * Continue a run: its spec and configuration stay (its recipe may not change under it); only the
   * length and the reporting intervals follow the overrides.
   */
  readonly resume?: { readonly spec: ResNetSpec; readonly config: TrainConfig };
}

export interface RunPlan {
  readonly spec: ResNetSpec;
  /** The training configuration, checked, for {@link Training}. */
  readonly config: TrainConfig;
  /** `config.schedule`: what the run's learning rate will follow. */
  readonly schedule: ScheduleSpec;
}

function scaled(schedule: ScheduleSpec, from: number, to: number): ScheduleSpec {
  const at = (i: number): number => Math.max(1, Math.round((i * to) / from));
  const decay =
    schedule.decay.kind === 'step'
      ? { ...schedule.decay, milestones: [...new Set(schedule.decay.milestones.map(at))].filter((m) => m < to) }
      : schedule.decay;
  const warmup =
    schedule.warmup?.maxIterations !== undefined
      ? { ...schedule.warmup, maxIterations: at(schedule.warmup.maxIterations) }
      : schedule.warmup;
  return { base: schedule.base, decay, ...(warmup ? { warmup } : {}) };
}

/** A cosine runs over the whole run, whatever its length. */
function cosineOver(schedule: ScheduleSpec, iterations: number): ScheduleSpec {
  return schedule.decay.kind === 'cosine' ? { ...schedule, decay: { ...schedule.decay, length: iterations } } : schedule;
}

function withRate(schedule: ScheduleSpec, learningRate: number | undefined, warmup: RunOverrides['warmup']): ScheduleSpec {
  let s = learningRate === undefined ? schedule : { ...schedule, base: learningRate };
  if (warmup === 'none') {
    const { warmup: _dropped, ...rest } = s;
    s = rest;
  } else if (warmup !== undefined) {
    const w = s.warmup;
    s = {
      ...s,
      warmup: {
        learningRate: w?.learningRate ?? s.base / 10,
        ...(w?.untilTrainError !== undefined ? { untilTrainError: w.untilTrainError } : {}),
        maxIterations: warmup,
      },
    };
  }
  return s;
}

/**
 * The spec, configuration and schedule of a run:
 * `planRun({ model: 'resnet110', data: { numClasses: 10 }, recipe: 'cifar10-paper', overrides: { iterations: 1000 } })`.
 * Unknown model, recipe or field, or a bad value → ResNetError naming it.
 */
export function planRun(options: RunPlanOptions): RunPlan {
  const { learningRate, warmup, backboneLearningRate, ...fields } = options.overrides ?? {};
  if (options.resume) {
    const { spec, config } = options.resume;
    const changes = Object.fromEntries(Object.entries(fields).filter(([key, value]) => value !== undefined && RESUMABLE_FIELDS.has(key)));
    const resumed = checkTrainConfig({ ...config, ...changes });
    return { spec, config: resumed, schedule: resumed.schedule };
  }
  const { model, data } = options;
  const spec =
    typeof model === 'string'
      ? resolveSpec(model, {
          ...options.modelOptions,
          ...(data
            ? {
                numClasses: data.numClasses,
                ...(data.inputSize !== undefined ? { inputSize: data.inputSize } : {}),
                ...(data.inputChannels !== undefined ? { inputChannels: data.inputChannels } : {}),
              }
            : {}),
        })
      : checkSpec(model);
  // The recipe depends on the spec alone (ResNet-110's warm-up, Sec. 4.2); the schedule on the recipe and the run's length.
  const recipe = recipeDefaults(options.recipe, spec);
  const iterations = fields.iterations ?? recipe.iterations;
  const given =
    fields.schedule ??
    cosineOver(options.scaleSchedule ? scaled(recipe.schedule, recipe.iterations, iterations) : recipe.schedule, iterations);
  const schedule = withRate(given, learningRate, warmup);
  const backbone =
    backboneLearningRate === undefined
      ? {}
      : { backboneLrScale: numberIn('recipe', 'backboneLearningRate', backboneLearningRate, { min: 0 }) / schedule.base };
  type Capped = keyof NonNullable<RunPlanOptions['atMost']>;
  const capped = Object.fromEntries(
    Object.entries(options.atMost ?? {}).map(([key, most]) => [key, Math.min(fields[key as Capped] ?? recipe[key as Capped], most)]),
  );
  const config = withOverrides(recipe, { ...fields, ...backbone, schedule, ...capped });
  return { spec, config, schedule: config.schedule };
}
