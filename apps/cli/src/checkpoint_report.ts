/** The HTML report and the curves figure of a run, from its checkpoint metadata. */
import { describeSchedule, scheduleSteps, type CheckpointMeta, type ClassificationMetrics, type TrainingHistory } from '@resnet/core';
import { lineChart, type ReportCurvePoint, type ReportEvaluation, type RunReport } from '@resnet/report';

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
        schedule: describeSchedule(c.schedule, meta.schedule),
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
  };
}

/** Training error (dashed) and held-out error (solid) against iterations, as the paper's Fig. 6. */
export function curvesSvg(name: string, history: TrainingHistory): string {
  const test = history.eval.filter((e) => e.split === 'test').map((e) => [e.iteration, e.top1Error * 100] as [number, number]);
  const val = history.eval.filter((e) => e.split === 'val').map((e) => [e.iteration, e.top1Error * 100] as [number, number]);
  return lineChart({
    title: name,
    xLabel: 'iterations',
    yLabel: 'error (%)',
    series: [
      { name: 'training error', points: history.log.map((l) => [l.iteration, l.trainError * 100] as [number, number]), dash: 'dashed' },
      ...(val.length ? [{ name: 'validation error', points: val, marker: 'circle' as const }] : []),
      ...(test.length ? [{ name: 'test error', points: test, width: 2.5, marker: 'circle' as const }] : []),
    ],
  });
}
