/**
 * The page's training configuration: core's `synthetic` recipe (SGD with momentum 0.9, weight decay
 * 1e-4, a short warm-up, ÷10 twice near the end) with the user's batch size, iterations, base rate
 * and evaluation interval. The recipe's milestones are for 300 iterations; a run of another length
 * keeps their shape by scaling them (and the warm-up) to its length.
 */
import { ResNetError, resolveRecipe, type ResNetSpec, type ScheduleSpec, type TrainConfig } from '@resnet/core';
import type { TrainSettings } from '../protocol';

/** The recipe the page starts from: its defaults fill the form. */
export function defaultSettings(spec?: ResNetSpec): TrainSettings {
  const r = resolveRecipe('synthetic', spec);
  return { batchSize: r.batchSize, iterations: r.iterations, learningRate: r.schedule.base, evalEvery: r.evalEvery };
}

function scaled(schedule: ScheduleSpec, from: number, to: number, base: number): ScheduleSpec {
  const at = (i: number): number => Math.max(1, Math.round((i * to) / from));
  const decay =
    schedule.decay.kind === 'step' ? { ...schedule.decay, milestones: [...new Set(schedule.decay.milestones.map(at))].filter((m) => m < to) } : schedule.decay;
  const warmup = schedule.warmup?.maxIterations !== undefined ? { ...schedule.warmup, maxIterations: at(schedule.warmup.maxIterations) } : schedule.warmup;
  return { base, decay, ...(warmup ? { warmup } : {}) };
}

export function trainConfig(settings: TrainSettings, spec: ResNetSpec): TrainConfig {
  for (const [key, value] of Object.entries(settings)) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new ResNetError(`training: ${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  const recipe = resolveRecipe('synthetic', spec);
  const { batchSize, iterations, evalEvery } = settings;
  return resolveRecipe('synthetic', spec, {
    batchSize,
    iterations,
    evalEvery,
    // Log records average over few iterations: short browser runs still get a smooth curve.
    logEvery: Math.max(1, Math.min(recipe.logEvery, Math.floor(iterations / 20))),
    evalBatchSize: Math.min(recipe.evalBatchSize, 100),
    checkpointEvery: 0,
    schedule: scaled(recipe.schedule, recipe.iterations, iterations, settings.learningRate),
  });
}
