/**
 * `RunReport`: what a training run hands to `htmlReport`. Plain JSON-serialisable data (the trainer
 * fills it and may save it next to its checkpoints), where only the name is required: a run that
 * has just started, or has no test metrics yet, still makes a report. JSON turns NaN into null, so
 * every number may also be null, which reads as "not measured". Errors and accuracies are fractions
 * in [0, 1], as the trainer computes them (wrong / total); the report prints them as percentages.
 */
import { ResNetError } from '@resnet/core';

/** A number that may be missing: null is what JSON.stringify makes of NaN. */
export type MaybeNumber = number | null;

export interface RunReport {
  /** Required: the run's name and the page title, e.g. "resnet56 · CIFAR-10 · seed 1". */
  readonly name: string;
  /** A sentence or two on what the run is for. */
  readonly description?: string;
  /** 'running', 'finished', 'failed', 'stopped', … shown as given. */
  readonly status?: string;
  /** ISO 8601 timestamps, shown as given. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly model?: ReportModel;
  readonly hyperparameters?: ReportHyperparameters;
  /** The training log, one row per logged iteration, in iteration order. */
  readonly curve?: readonly ReportCurvePoint[];
  /** Final (or latest) evaluations, one per split: typically 'val' and 'test'. */
  readonly evaluations?: readonly ReportEvaluation[];
  readonly timing?: ReportTiming;
  /** Free-form remarks (warnings, deviations from the paper's recipe), one paragraph each. */
  readonly notes?: readonly string[];
  /**
   * The versions of what ran the training, name → version, shown as given, e.g.
   * `{ '@resnet/core': '0.1.0', '@tensorflow/tfjs-core': '4.22.0', 'Node.js': 'v20.11.0' }`.
   */
  readonly versions?: Readonly<Record<string, string>>;
  /**
   * The command line the run was started with, program first, one argument per element, e.g.
   * `['resnet', 'train', '--model', 'resnet56']`; the report shows it shell-quoted.
   */
  readonly commandLine?: readonly string[];
  /** For a resumed run: the command line it was resumed with, as `commandLine` (which is then the one it was started with, when known). */
  readonly resumedWith?: readonly string[];
}

export interface ReportModel {
  /** Registry name, e.g. "resnet56" or "plain20". */
  readonly name?: string;
  /** Trainable parameters (`summary().params`). */
  readonly params?: MaybeNumber;
  /** Multiply-adds of one image's forward pass (`summary().macs`). */
  readonly macs?: MaybeNumber;
  /** Weighted layers, e.g. 56. */
  readonly depth?: MaybeNumber;
  /** Shortcut option 'A' | 'B' | 'C', or 'none' for a plain net. */
  readonly shortcut?: string;
  readonly numClasses?: MaybeNumber;
  /** Input side in pixels (32 on CIFAR, 224 on ImageNet). */
  readonly inputSize?: MaybeNumber;
}

/** From `iteration` on (inclusive), the learning rate is `learningRate`. */
export interface ReportLrStep {
  readonly iteration: number;
  readonly learningRate: number;
}

export interface ReportHyperparameters {
  /** The recipe's name, e.g. "CIFAR-10, He et al. Sec. 4.2". */
  readonly recipe?: string;
  /** e.g. "CIFAR-10 (45k/5k train/val split)". */
  readonly dataset?: string;
  readonly trainImages?: MaybeNumber;
  readonly valImages?: MaybeNumber;
  readonly testImages?: MaybeNumber;
  readonly batchSize?: MaybeNumber;
  /** The base learning rate (0.1 in the paper). */
  readonly learningRate?: MaybeNumber;
  /** The schedule in one line, e.g. core's `describeSchedule`: "0.1, ÷10 at 32000, 48000". */
  readonly schedule?: string;
  /** The schedule as steps, e.g. [{0, 0.1}, {32000, 0.01}, {48000, 0.001}]. */
  readonly lrSchedule?: readonly ReportLrStep[];
  readonly momentum?: MaybeNumber;
  readonly weightDecay?: MaybeNumber;
  /** Planned iterations (64,000 in the CIFAR recipe). */
  readonly iterations?: MaybeNumber;
  readonly seed?: MaybeNumber;
  /** The tfjs backend, e.g. "wasm (SIMD, 2 threads)". */
  readonly backend?: string;
  /** e.g. "pad 4, random 32×32 crop, horizontal flip". */
  readonly augmentation?: string;
  /** Anything else worth recording, shown as key/value rows. */
  readonly extra?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * One row of the training log. Errors are fractions in [0, 1]. A field that is null or absent was not
 * measured at this iteration (test error is usually logged less often than training error): the
 * charts skip the row for that measure and the line goes on.
 */
export interface ReportCurvePoint {
  readonly iteration: number;
  readonly epoch?: MaybeNumber;
  /** Mean training loss (cross-entropy, with or without weight decay: say which in a note). */
  readonly loss?: MaybeNumber;
  /** Training top-1 error over the logged window. */
  readonly trainError?: MaybeNumber;
  readonly valError?: MaybeNumber;
  readonly testError?: MaybeNumber;
  readonly learningRate?: MaybeNumber;
}

export interface ReportEvaluation {
  /** Which split: 'test', 'val', … */
  readonly split: string;
  /** The iteration the weights come from. */
  readonly iteration?: MaybeNumber;
  /** Images evaluated (the name `classificationMetrics` uses, so `{ split, iteration, ...metrics }` fits). */
  readonly count?: MaybeNumber;
  readonly loss?: MaybeNumber;
  /** Fractions in [0, 1]. */
  readonly top1Error?: MaybeNumber;
  readonly top5Error?: MaybeNumber;
  /** Class names in label order; default "0", "1", … */
  readonly classNames?: readonly string[];
  /** Per-class accuracy (fractions; null/NaN for a class without examples), in label order; derived from `confusion` when absent. */
  readonly perClassAccuracy?: readonly MaybeNumber[];
  /** Counts: confusion[trueClass][predictedClass]. */
  readonly confusion?: readonly (readonly number[])[];
}

export interface ReportTiming {
  /** Total wall-clock time of the training, in seconds. */
  readonly wallTimeSeconds?: MaybeNumber;
  /** Training throughput. */
  readonly imagesPerSecond?: MaybeNumber;
  readonly secondsPerIteration?: MaybeNumber;
}

// ---- validation ----------------------------------------------------------------------------------

function fail(where: string, expected: string, got: unknown): never {
  throw new ResNetError(`report: ${where} must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

function optNumber(v: unknown, where: string): void {
  if (v !== undefined && v !== null && typeof v !== 'number') fail(where, 'a number or null', v);
}

function optString(v: unknown, where: string): void {
  if (v !== undefined && typeof v !== 'string') fail(where, 'a string', v);
}

function optFraction(v: unknown, where: string): void {
  optNumber(v, where);
  if (typeof v === 'number' && !Number.isNaN(v) && !(v >= 0 && v <= 1)) fail(where, 'a fraction in [0, 1] (0.0697 for 6.97%)', v);
}

function optObject(v: unknown, where: string): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'an object', v);
  return v as Record<string, unknown>;
}

function optArray(v: unknown, where: string): readonly unknown[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(where, 'an array', v);
  return v;
}

/** Checks a RunReport's shape and units, naming the first bad value. */
export function checkRunReport(run: unknown): RunReport {
  const r = optObject(run, 'the run report');
  if (!r) fail('the run report', 'an object', run);
  if (typeof r.name !== 'string' || r.name.trim() === '') fail('run.name', 'a non-empty string', r.name);
  for (const k of ['description', 'status', 'startedAt', 'finishedAt'] as const) optString(r[k], `run.${k}`);

  const model = optObject(r.model, 'run.model');
  if (model) {
    optString(model.name, 'run.model.name');
    optString(model.shortcut, 'run.model.shortcut');
    for (const k of ['params', 'macs', 'depth', 'numClasses', 'inputSize']) optNumber(model[k], `run.model.${k}`);
  }

  const hp = optObject(r.hyperparameters, 'run.hyperparameters');
  if (hp) {
    for (const k of ['recipe', 'dataset', 'schedule', 'backend', 'augmentation']) optString(hp[k], `run.hyperparameters.${k}`);
    for (const k of [
      'trainImages',
      'valImages',
      'testImages',
      'batchSize',
      'learningRate',
      'momentum',
      'weightDecay',
      'iterations',
      'seed',
    ]) {
      optNumber(hp[k], `run.hyperparameters.${k}`);
    }
    optArray(hp.lrSchedule, 'run.hyperparameters.lrSchedule')?.forEach((s, i) => {
      const step = optObject(s, `run.hyperparameters.lrSchedule[${i}]`) ?? {};
      if (typeof step.iteration !== 'number') fail(`run.hyperparameters.lrSchedule[${i}].iteration`, 'a number', step.iteration);
      if (typeof step.learningRate !== 'number') fail(`run.hyperparameters.lrSchedule[${i}].learningRate`, 'a number', step.learningRate);
    });
    const extra = optObject(hp.extra, 'run.hyperparameters.extra');
    for (const [k, v] of Object.entries(extra ?? {})) {
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v))
        fail(`run.hyperparameters.extra[${JSON.stringify(k)}]`, 'a string, number, boolean or null', v);
    }
  }

  optArray(r.curve, 'run.curve')?.forEach((p, i) => {
    const pt = optObject(p, `run.curve[${i}]`) ?? {};
    if (typeof pt.iteration !== 'number') fail(`run.curve[${i}].iteration`, 'a number', pt.iteration);
    for (const k of ['epoch', 'loss', 'learningRate']) optNumber(pt[k], `run.curve[${i}].${k}`);
    for (const k of ['trainError', 'valError', 'testError']) optFraction(pt[k], `run.curve[${i}].${k}`);
  });

  optArray(r.evaluations, 'run.evaluations')?.forEach((e, i) => {
    const at = `run.evaluations[${i}]`;
    const ev = optObject(e, at) ?? {};
    if (typeof ev.split !== 'string') fail(`${at}.split`, "a string such as 'test'", ev.split);
    for (const k of ['iteration', 'count', 'loss']) optNumber(ev[k], `${at}.${k}`);
    for (const k of ['top1Error', 'top5Error']) optFraction(ev[k], `${at}.${k}`);
    const confusion = optArray(ev.confusion, `${at}.confusion`);
    const n = confusion?.length;
    confusion?.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== n) fail(`${at}.confusion[${t}]`, `a row of ${n} counts (the matrix is square)`, row);
      row.forEach((c: unknown, p) => {
        if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) fail(`${at}.confusion[${t}][${p}]`, 'a non-negative count', c);
      });
    });
    const names = optArray(ev.classNames, `${at}.classNames`);
    names?.forEach((c, j) => {
      if (typeof c !== 'string') fail(`${at}.classNames[${j}]`, 'a string', c);
    });
    const acc = optArray(ev.perClassAccuracy, `${at}.perClassAccuracy`);
    acc?.forEach((v, j) => optFraction(v, `${at}.perClassAccuracy[${j}]`));
    if (names && n !== undefined && names.length !== n)
      fail(`${at}.classNames`, `${n} names (one per confusion row)`, `${names.length} names`);
    if (acc && n !== undefined && acc.length !== n)
      fail(`${at}.perClassAccuracy`, `${n} values (one per confusion row)`, `${acc.length} values`);
    if (acc && names && acc.length !== names.length)
      fail(`${at}.perClassAccuracy`, `${names.length} values (one per class name)`, `${acc.length} values`);
  });

  const timing = optObject(r.timing, 'run.timing');
  if (timing) for (const k of ['wallTimeSeconds', 'imagesPerSecond', 'secondsPerIteration']) optNumber(timing[k], `run.timing.${k}`);

  optArray(r.notes, 'run.notes')?.forEach((n, i) => optString(n, `run.notes[${i}]`));
  for (const [k, v] of Object.entries(optObject(r.versions, 'run.versions') ?? {}))
    if (typeof v !== 'string') fail(`run.versions[${JSON.stringify(k)}]`, 'a string', v);
  for (const k of ['commandLine', 'resumedWith'] as const)
    optArray(r[k], `run.${k}`)?.forEach((a, i) => {
      if (typeof a !== 'string') fail(`run.${k}[${i}]`, 'a string', a);
    });
  return r as unknown as RunReport;
}
