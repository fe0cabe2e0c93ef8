/**
 * Learning-rate schedules as data (JSON-serialisable, so recipes, reports and checkpoints can hold
 * them), the small state machine that follows one during a run, and the schedule's own account of
 * itself (its steps, its one-line description) for reports and progress lines:
 *  - CIFAR-10 (Sec. 4.2): 0.1, divided by 10 at 32k and 48k iterations, stop at 64k (`step`).
 *  - ResNet-110 (Sec. 4.2): 0.01 until the training error is below 80% (about 400 iterations), then
 *    back to 0.1 (`warmup`).
 *  - ImageNet (Sec. 3.4): 0.1, divided by 10 when the error plateaus (`plateau`).
 *  - Fine-tuning (not in the paper): a half cosine from the base rate down to a floor over the run
 *    (`cosine`, Loshchilov & Hutter's SGDR without restarts, what timm and torchvision's recipes use).
 */
import { CheckError, numberIn, oneOf, positiveInteger, positiveNumber } from '../checks.js';
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
  | {
      readonly kind: 'plateau';
      readonly factor: number;
      readonly patience: number;
      readonly threshold: number;
      readonly minLearningRate?: number;
    }
  /**
   * base → `final` along half a cosine over iterations [0, `length`): rate(i) = final + (base − final)·(1 + cos(π·i/length))/2,
   * then `final`. A warm-up replaces the first iterations' rate; the curve is not shifted.
   */
  | { readonly kind: 'cosine'; readonly length: number; readonly final?: number };

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
  /** Plateau: the iteration each reduction took effect at (absent in checkpoints written before it was kept). */
  readonly reducedAt?: readonly number[];
  /** Recent training errors for the warm-up's running mean. */
  readonly recentErrors: readonly number[];
}

/** From `iteration` on, the rate is `learningRate` (until the next step). */
export interface LearningRateStep {
  readonly iteration: number;
  readonly learningRate: number;
}

/** Training errors averaged to decide the end of warm-up: one noisy batch shouldn't end it. */
const WARMUP_WINDOW = 20;

const DECAY_KINDS = ['constant', 'step', 'plateau', 'cosine'] as const;

export function checkSchedule(spec: ScheduleSpec): ScheduleSpec {
  positiveNumber('schedule', 'base', spec.base);
  if (spec.warmup) {
    positiveNumber('schedule', 'warmup.learningRate', spec.warmup.learningRate);
    const { untilTrainError: e, maxIterations: m } = spec.warmup;
    if (e === undefined && m === undefined) throw new ResNetError('schedule: warmup needs untilTrainError, maxIterations or both');
    if (e !== undefined) numberIn('schedule', 'warmup.untilTrainError', e, { min: 0, max: 1, exclusive: 'min' });
    if (m !== undefined) positiveInteger('schedule', 'warmup.maxIterations', m);
  }
  const d = spec.decay;
  oneOf('schedule', 'decay.kind', (d as { kind?: unknown } | undefined)?.kind, DECAY_KINDS);
  switch (d.kind) {
    case 'constant':
      break;
    case 'step':
      positiveNumber('schedule', 'decay.factor', d.factor);
      if (
        !(
          Array.isArray(d.milestones) && d.milestones.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > d.milestones[i - 1]!))
        )
      ) {
        throw new CheckError('schedule', 'decay.milestones', 'increasing positive integers', d.milestones);
      }
      break;
    case 'plateau':
      positiveNumber('schedule', 'decay.factor', d.factor);
      positiveInteger('schedule', 'decay.patience', d.patience);
      numberIn('schedule', 'decay.threshold', d.threshold, { min: 0 });
      if (d.minLearningRate !== undefined) positiveNumber('schedule', 'decay.minLearningRate', d.minLearningRate);
      break;
    case 'cosine':
      positiveInteger('schedule', 'decay.length', d.length);
      if (d.final !== undefined) numberIn('schedule', 'decay.final', d.final, { min: 0, max: spec.base });
      break;
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
  private reducedAt: number[] = [];
  private recentErrors: number[] = [];
  /** The iteration after the last one asked about: where a reduction made now takes effect. */
  private next = 0;

  constructor(readonly spec: ScheduleSpec) {
    checkSchedule(spec);
    this.warmupDone = spec.warmup === undefined;
  }

  /** The learning rate for iteration `iteration` (from 0). */
  rate(iteration: number): number {
    const { warmup, decay } = this.spec;
    this.next = Math.max(this.next, iteration + 1);
    if (warmup && !this.warmupDone) {
      if (warmup.maxIterations === undefined || iteration < warmup.maxIterations) return warmup.learningRate;
      this.endWarmup(iteration);
    }
    if (decay.kind === 'cosine') return cosineRate(this.spec.base, decay, iteration);
    return decayedRate(this.spec, decay.kind === 'step' ? decay.milestones.filter((m) => iteration >= m).length : this.reductions);
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
   * After each evaluation: the monitored error in [0, 1], and the iterations done (where a reduction
   * takes effect; default: after the last iteration `rate` was asked for). Returns true when the rate
   * was just reduced (plateau schedules only).
   */
  observeEvaluation(error: number, iteration = this.next): boolean {
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
    this.reducedAt.push(iteration);
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
      reducedAt: [...this.reducedAt],
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
      (state.reducedAt === undefined || (Array.isArray(state.reducedAt) && state.reducedAt.every((i) => Number.isInteger(i)))) &&
      Array.isArray(state.recentErrors);
    if (!ok) throw new ResNetError(`schedule: not a schedule state: ${JSON.stringify(state)}`);
    this.warmupDone = state.warmupDone || this.spec.warmup === undefined;
    this.warmupEndedAt = state.warmupEndedAt;
    this.best = state.best;
    this.badEvaluations = state.badEvaluations;
    this.reductions = state.reductions;
    this.reducedAt = [...(state.reducedAt ?? [])];
    this.recentErrors = [...state.recentErrors];
  }

  private endWarmup(iteration: number): void {
    this.warmupDone = true;
    this.warmupEndedAt = iteration;
    this.recentErrors = [];
  }
}

function cosineRate(base: number, d: { readonly length: number; readonly final?: number }, iteration: number): number {
  const final = d.final ?? 0;
  const t = Math.min(iteration, d.length) / d.length;
  return final + ((base - final) * (1 + Math.cos(Math.PI * t))) / 2;
}

/** Points drawn for a cosine schedule in reports (its curve as steps). */
const COSINE_POINTS = 20;

/** The rate after `k` reductions (step milestones passed, or plateau cuts), never below a plateau's floor. */
function decayedRate(spec: ScheduleSpec, k: number): number {
  const d = spec.decay;
  if (d.kind === 'constant') return spec.base;
  if (d.kind === 'cosine') throw new Error('decayedRate: a cosine schedule has no reductions');
  const rate = spec.base * d.factor ** k;
  return d.kind === 'plateau' ? Math.max(rate, d.minLearningRate ?? 0) : rate;
}

/**
 * The learning-rate steps of a run, as they happened (`state`: when warm-up ended, when the plateau
 * rule cut the rate) and as the spec says they will: the warm-up rate from 0 (ResNet-110, Sec. 4.2),
 * the base rate from the end of warm-up (or its latest end), then each ÷10 at its milestone (Sec. 4.2)
 * or where the error plateaued (Sec. 3.4). While a warm-up that ends on the training error alone is
 * still running, what follows it is not known yet: only its own step is listed.
 */
export function scheduleSteps(spec: ScheduleSpec, state?: ScheduleState): LearningRateStep[] {
  const steps: LearningRateStep[] = [];
  let from = 0;
  if (spec.warmup) {
    steps.push({ iteration: 0, learningRate: spec.warmup.learningRate });
    const end = state?.warmupEndedAt ?? spec.warmup.maxIterations;
    if (end === undefined) return steps;
    from = end;
  }
  const d = spec.decay;
  if (d.kind === 'cosine') {
    for (let k = 0; k < COSINE_POINTS; k++) {
      const iteration = Math.max(from, Math.round((k * d.length) / COSINE_POINTS));
      if (k > 0 && iteration <= steps[steps.length - 1]!.iteration) continue;
      steps.push({ iteration, learningRate: cosineRate(spec.base, d, iteration) });
    }
    return steps;
  }
  const passed = d.kind === 'step' ? d.milestones.filter((m) => m <= from).length : 0;
  steps.push({ iteration: from, learningRate: decayedRate(spec, passed) });
  const later = d.kind === 'step' ? d.milestones.filter((m) => m > from) : d.kind === 'plateau' ? (state?.reducedAt ?? []) : [];
  later.forEach((iteration, i) => steps.push({ iteration, learningRate: decayedRate(spec, passed + i + 1) }));
  return steps;
}

/**
 * A one-line description: "0.1, ÷10 at 32000, 48000" / "0.01 until train error < 80%, then 0.1 …";
 * with a run's `state`, a plateau schedule also says where it cut the rate.
 */
export function describeSchedule(spec: ScheduleSpec, state?: ScheduleState): string {
  const d = spec.decay;
  const factor = (f: number): string => (f < 1 && Number.isInteger(1 / f) ? `÷${1 / f}` : `×${f}`);
  const cuts = state?.reducedAt?.length ? `, cut at ${state.reducedAt.join(', ')}` : '';
  const decay =
    d.kind === 'constant'
      ? `${spec.base} constant`
      : d.kind === 'cosine'
        ? `${spec.base}, cosine to ${d.final ?? 0} by ${d.length}`
        : d.kind === 'step'
          ? `${spec.base}, ${factor(d.factor)} at ${d.milestones.join(', ')}`
          : `${spec.base}, ${factor(d.factor)} on plateau (patience ${d.patience})${cuts}`;
  if (!spec.warmup) return decay;
  const until = [
    spec.warmup.untilTrainError !== undefined ? `train error < ${Math.round(spec.warmup.untilTrainError * 100)}%` : null,
    spec.warmup.maxIterations !== undefined ? `iteration ${spec.warmup.maxIterations}` : null,
  ]
    .filter(Boolean)
    .join(' or ');
  return `${spec.warmup.learningRate} until ${until}, then ${decay}`;
}
