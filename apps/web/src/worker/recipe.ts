/**
 * The page's training configuration: core's run plan with the `synthetic` recipe (SGD with momentum
 * 0.9, weight decay 1e-4, a short warm-up, ÷10 twice near the end) and the user's batch size,
 * iterations, base rate and evaluation interval. The recipe's milestones are for 300 iterations; a
 * run of another length keeps their shape: the plan scales them (and the warm-up) to its length.
 */
import { planRun, resolveRecipe, type ResNetSpec, type TrainConfig } from '@resnet/core';
import type { TrainSettings } from '../protocol';

/** The recipe the page starts from: its defaults fill the form. */
export function defaultSettings(spec?: ResNetSpec): TrainSettings {
  const r = resolveRecipe('synthetic', spec);
  return { batchSize: r.batchSize, iterations: r.iterations, learningRate: r.schedule.base, evalEvery: r.evalEvery };
}

export function trainConfig(settings: TrainSettings, spec: ResNetSpec): TrainConfig {
  const { batchSize, iterations, evalEvery, learningRate } = settings;
  return planRun({
    model: spec,
    recipe: 'synthetic',
    overrides: { batchSize, iterations, evalEvery, learningRate, checkpointEvery: 0 },
    // Log records average over few iterations: short browser runs still get a smooth curve.
    atMost: { logEvery: Math.max(1, Math.floor(iterations / 20)), evalBatchSize: 100 },
    scaleSchedule: true,
  }).config;
}
