/** The HTML report and the curves figure of a run, from its checkpoint metadata. */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  VERSION,
  describeSchedule,
  scheduleSteps,
  type CheckpointMeta,
  type ClassificationMetrics,
  type TrainingHistory,
} from '@resnet/core';
import { errorFigure, type ReportCurvePoint, type ReportEvaluation, type RunReport } from '@resnet/report';

export interface ReportContext {
  readonly name: string;
  readonly status: string;
  readonly startedAt: string;
  readonly backend: string;
  readonly dataset: string;
  readonly params: number;
  readonly macs: number;
  readonly depth: number;
  readonly final?: { readonly val?: ClassificationMetrics; readonly test?: ClassificationMetrics };
  readonly classNames: readonly string[];
  readonly notes?: readonly string[];
  /** What ran the training, name → version (`runEnvironment`). */
  readonly versions?: Readonly<Record<string, string>>;
  /** The command line the run was started with, program first: `['resnet', 'train', …]`. */
  readonly commandLine?: readonly string[];
  /** A resumed run's: the command line it was resumed with (`commandLine` is the one it was started with, from config.json). */
  readonly resumedWith?: readonly string[];
}

/**
 * The versions of what computes a run (@resnet/core, tfjs-core, Node.js), and the command line of
 * this process as given to `resnet` (both entry points call `main(process.argv.slice(2))`): as
 * `commandLine` for a new run; for a resumed one as `resumedWith`, beside `startedWith`, the command
 * line config.json recorded when the run began. No command line of this process when it is not the
 * resnet program (e.g. a test calling `main` in-process): its arguments are not the run's.
 */
export function runEnvironment(
  resumed: boolean,
  argv: readonly string[] = process.argv,
  startedWith?: readonly string[],
): Pick<ReportContext, 'versions' | 'commandLine' | 'resumedWith'> {
  const versions = { '@resnet/core': VERSION, '@tensorflow/tfjs-core': tf.version_core, 'Node.js': process.version };
  const original = startedWith?.length ? { commandLine: startedWith } : {};
  if (!/^resnet(\.[cm]?js)?$/.test(path.basename(argv[1] ?? ''))) return { versions, ...(resumed ? original : {}) };
  const command = ['resnet', ...argv.slice(2)];
  return resumed ? { versions, ...original, resumedWith: command } : { versions, commandLine: command };
}

/** One row per log record, with the evaluations made at that iteration. */
export function curveRows(history: TrainingHistory): ReportCurvePoint[] {
  const rows = new Map<number, { -readonly [K in keyof ReportCurvePoint]: ReportCurvePoint[K] }>();
  for (const l of history.log)
    rows.set(l.iteration, { iteration: l.iteration, epoch: l.epoch, loss: l.loss, trainError: l.trainError, learningRate: l.learningRate });
  for (const e of history.eval) {
    const row = rows.get(e.iteration) ?? { iteration: e.iteration };
    if (e.split === 'test') row.testError = e.top1Error;
    else row.valError = e.top1Error;
    rows.set(e.iteration, row);
  }
  return [...rows.values()].sort((a, b) => a.iteration - b.iteration);
}

export function runReport(meta: CheckpointMeta, ctx: ReportContext): RunReport {
  const c = meta.config;
  const evaluations: ReportEvaluation[] = [];
  for (const split of ['val', 'test'] as const) {
    const m = ctx.final?.[split];
    if (m)
      evaluations.push({
        split,
        iteration: meta.iteration,
        count: m.count,
        loss: m.loss,
        top1Error: m.top1Error,
        top5Error: m.top5Error,
        classNames: [...ctx.classNames],
        perClassAccuracy: m.perClassAccuracy,
        confusion: m.confusion,
      });
  }
  const last = meta.history.log[meta.history.log.length - 1];
  return {
    name: ctx.name,
    description: `${meta.spec.name} trained on ${ctx.dataset} with the ${c.recipe} recipe.`,
    status: ctx.status,
    startedAt: ctx.startedAt,
    ...(ctx.status === 'finished' ? { finishedAt: meta.savedAt } : {}),
    model: {
      name: meta.spec.name,
      params: ctx.params,
      macs: ctx.macs,
      depth: ctx.depth,
      shortcut: meta.spec.shortcut,
      numClasses: meta.spec.numClasses,
      inputSize: meta.spec.inputSize,
    },
    hyperparameters: {
      recipe: c.recipe,
      dataset: ctx.dataset,
      trainImages: meta.dataset.size,
      batchSize: c.batchSize,
      learningRate: c.schedule.base,
      schedule: describeSchedule(c.schedule, meta.schedule),
      lrSchedule: scheduleSteps(c.schedule, meta.schedule),
      momentum: c.momentum,
      weightDecay: c.weightDecay,
      iterations: c.iterations,
      seed: c.seed,
      backend: ctx.backend,
      augmentation:
        meta.spec.inputSize === 32
          ? 'per-pixel mean, pad 4, random 32×32 crop, horizontal flip'
          : 'per-pixel mean, scale [256, 480], random 224 crop, flip, PCA lighting',
      extra: {
        'weight decay on': c.weightDecayScope,
        'iterations done': meta.iteration,
      },
    },
    curve: curveRows(meta.history),
    evaluations,
    timing: {
      wallTimeSeconds: meta.elapsed,
      imagesPerSecond: last?.imagesPerSecond ?? null,
      secondsPerIteration: meta.iteration ? meta.elapsed / meta.iteration : null,
    },
    ...(ctx.notes ? { notes: ctx.notes } : {}),
    ...(ctx.versions ? { versions: ctx.versions } : {}),
    ...(ctx.commandLine ? { commandLine: ctx.commandLine } : {}),
    ...(ctx.resumedWith ? { resumedWith: ctx.resumedWith } : {}),
  };
}

/**
 * Training error (thin dashed) and held-out errors (a marker at each evaluation) against iterations,
 * as the paper's Fig. 6: the report's own error chart (@resnet/report's errorFigure), its caption in
 * the SVG's description.
 */
export function curvesSvg(name: string, history: TrainingHistory): string {
  return errorFigure(curveRows(history), { title: name, width: 640, height: 400 }).svg;
}
