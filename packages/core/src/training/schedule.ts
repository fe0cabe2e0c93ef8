/**
 * Learning-rate schedules as data (JSON-serialisable, so recipes, reports and checkpoints can hold
 * them), and the small state machine that follows one during a run. SPEC §4:
 *  - CIFAR-10: 0.1, divided by 10 at 32k and 48k iterations, stop at 64k (`step`).
 *  - ResNet-110: 0.01 until the training error is below 80% (about 400 iterations), then back to
 *    0.1 (`warmup`).
 *  - ImageNet: 0.1, divided by 10 when the error plateaus (`plateau`).
 */
import { ResNetError } from '../errors.js';

export interface WarmupSpec {
  /** The learning rate during warm-up (0.01 for ResNet-110). */
  readonly learningRate: number;
  /** Warm-up ends once the training error (a running mean over recent iterations, in [0, 1]) is below this (0.8 in the paper). */
  readonly untilTrainError?: number;
  /** … or at this iteration at the latest. At least one of the two is required. */
  readonly maxIterations?: number;
}

export type DecaySpec =
  | { readonly kind: 'constant' }
  /** Multiply by `factor` at each milestone iteration. */
  | { readonly kind: 'step'; readonly milestones: readonly number[]; readonly factor: number }
  /**
   * Multiply by `factor` when the monitored error has not improved by more than `threshold`
   * (absolute, in [0, 1]) for `patience` evaluations in a row; never below `minLearningRate`.
   */
  | { readonly kind: 'plateau'; readonly factor: number; readonly patience: number; readonly threshold: number; readonly minLearningRate?: number };

export interface ScheduleSpec {
  /** The base learning rate (0.1 in the paper). */
  readonly base: number;
  readonly warmup?: WarmupSpec;
  readonly decay: DecaySpec;
}

/** What a checkpoint stores to continue a schedule exactly. */
export interface ScheduleState {
  readonly warmupDone: boolean;
  /** The iteration warm-up ended at (null while warming up or without warm-up). */
  readonly warmupEndedAt: number | null;
  /** Plateau: the best monitored error so far, evaluations without improvement, reductions made. */
  readonly best: number | null;
  readonly badEvaluations: number;
  readonly reductions: number;
  /** Recent training errors for the warm-up's running mean. */
  readonly recentErrors: readonly number[];
}

/** Training errors averaged to decide the end of warm-up: one noisy batch shouldn't end it. */
const WARMUP_WINDOW = 20;

function positive(what: string, v: unknown): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new ResNetError(`schedule: ${what} must be a positive number, got ${JSON.stringify(v)}`);
}

export function checkSchedule(spec: ScheduleSpec): ScheduleSpec {
  positive('base', spec.base);
  if (spec.warmup) {
    positive('warmup.learningRate', spec.warmup.learningRate);
    const { untilTrainError: e, maxIterations: m } = spec.warmup;
    if (e === undefined && m === undefined) throw new ResNetError('schedule: warmup needs untilTrainError, maxIterations or both');
    if (e !== undefined && !(e > 0 && e <= 1)) throw new ResNetError(`schedule: warmup.untilTrainError must be in (0, 1], got ${e}`);
    if (m !== undefined && !(Number.isInteger(m) && m > 0)) throw new ResNetError(`schedule: warmup.maxIterations must be a positive integer, got ${m}`);
  }
  const d = spec.decay;
  switch (d?.kind) {
    case 'constant':
      break;
    case 'step':
      positive('decay.factor', d.factor);
      if (!Array.isArray(d.milestones) || !d.milestones.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > d.milestones[i - 1]!))) {
        throw new ResNetError(`schedule: decay.milestones must be increasing positive integers, got ${JSON.stringify(d.milestones)}`);
      }
      break;
    case 'plateau':
      positive('decay.factor', d.factor);
      if (!(Number.isInteger(d.patience) && d.patience >= 1)) throw new ResNetError(`schedule: decay.patience must be a positive integer, got ${d.patience}`);
      if (!(d.threshold >= 0)) throw new ResNetError(`schedule: decay.threshold must be ≥ 0, got ${d.threshold}`);
      if (d.minLearningRate !== undefined) positive('decay.minLearningRate', d.minLearningRate);
      break;
    default:
      throw new ResNetError(`schedule: decay.kind must be "constant", "step" or "plateau", got ${JSON.stringify((d as { kind?: unknown } | undefined)?.kind)}`);
  }
  return spec;
}

/** Follows a schedule through a run: ask `rate(iteration)`, report training errors and evaluations. */
export class LearningRateSchedule {
  private warmupDone: boolean;
  private warmupEndedAt: number | null = null;
  private best: number | null = null;
  private badEvaluations = 0;
  private reductions = 0;
  private recentErrors: number[] = [];

  constructor(readonly spec: ScheduleSpec) {
    checkSchedule(spec);
    this.warmupDone = spec.warmup === undefined;
  }

  /** The learning rate for iteration `iteration` (from 0). */
  rate(iteration: number): number {
    const { warmup, decay, base } = this.spec;
    if (warmup && !this.warmupDone) {
      if (warmup.maxIterations === undefined || iteration < warmup.maxIterations) return warmup.learningRate;
      this.endWarmup(iteration);
    }
    switch (decay.kind) {
      case 'constant':
        return base;
      case 'step':
        return base * decay.factor ** decay.milestones.filter((m) => iteration >= m).length;
      case 'plateau':
        return Math.max(base * decay.factor ** this.reductions, decay.minLearningRate ?? 0);
    }
  }

  /** Whether the run is still warming up. */
  get warmingUp(): boolean {
    return !this.warmupDone;
  }

  /** After each iteration: its training error in [0, 1] (ends warm-up once the recent mean is low enough). */
  observeTrainError(iteration: number, error: number): void {
    const w = this.spec.warmup;
    if (!w || this.warmupDone || w.untilTrainError === undefined) return;
    this.recentErrors.push(error);
    if (this.recentErrors.length > WARMUP_WINDOW) this.recentErrors.shift();
    const mean = this.recentErrors.reduce((a, b) => a + b, 0) / this.recentErrors.length;
    if (this.recentErrors.length === WARMUP_WINDOW && mean < w.untilTrainError) this.endWarmup(iteration + 1);
  }

  /**
   * After each evaluation: the monitored error in [0, 1]. Returns true when the rate was just reduced
   * (plateau schedules only).
   */
  observeEvaluation(error: number): boolean {
    const d = this.spec.decay;
    if (d.kind !== 'plateau' || !this.warmupDone) return false;
    if (this.best === null || error < this.best - d.threshold) {
      this.best = error;
      this.badEvaluations = 0;
      return false;
    }
    this.badEvaluations++;
    if (this.badEvaluations < d.patience) return false;
    if (d.minLearningRate !== undefined && this.spec.base * d.factor ** (this.reductions + 1) < d.minLearningRate) return false;
    this.reductions++;
    this.badEvaluations = 0;
    this.best = error;
    return true;
  }

  get state(): ScheduleState {
    return {
      warmupDone: this.warmupDone,
      warmupEndedAt: this.warmupEndedAt,
      best: this.best,
      badEvaluations: this.badEvaluations,
      reductions: this.reductions,
      recentErrors: [...this.recentErrors],
    };
  }

  restore(state: ScheduleState): void {
    const ok =
      typeof state === 'object' &&
      state !== null &&
      typeof state.warmupDone === 'boolean' &&
      Number.isInteger(state.badEvaluations) &&
      Number.isInteger(state.reductions) &&
      Array.isArray(state.recentErrors);
    if (!ok) throw new ResNetError(`schedule: not a schedule state: ${JSON.stringify(state)}`);
    this.warmupDone = state.warmupDone || this.spec.warmup === undefined;
    this.warmupEndedAt = state.warmupEndedAt;
    this.best = state.best;
    this.badEvaluations = state.badEvaluations;
    this.reductions = state.reductions;
    this.recentErrors = [...state.recentErrors];
  }

  private endWarmup(iteration: number): void {
    this.warmupDone = true;
    this.warmupEndedAt = iteration;
    this.recentErrors = [];
  }
}

/** A one-line description: "0.1, ÷10 at 32000, 48000" / "0.01 until train error < 80%, then 0.1 …". */
export function describeSchedule(spec: ScheduleSpec): string {
  const d = spec.decay;
  const factor = (f: number): string => (f < 1 && Number.isInteger(1 / f) ? `÷${1 / f}` : `×${f}`);
  const decay =
    d.kind === 'constant'
      ? `${spec.base} constant`
      : d.kind === 'step'
        ? `${spec.base}, ${factor(d.factor)} at ${d.milestones.join(', ')}`
        : `${spec.base}, ${factor(d.factor)} on plateau (patience ${d.patience})`;
  if (!spec.warmup) return decay;
  const until = [
    spec.warmup.untilTrainError !== undefined ? `train error < ${Math.round(spec.warmup.untilTrainError * 100)}%` : null,
    spec.warmup.maxIterations !== undefined ? `iteration ${spec.warmup.maxIterations}` : null,
  ]
    .filter(Boolean)
    .join(' or ');
  return `${spec.warmup.learningRate} until ${until}, then ${decay}`;
}
