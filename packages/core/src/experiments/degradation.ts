/**
 * The degradation experiment (Sec. 4.1–4.2, Fig. 4 and 6) as pure functions over the histories that
 * training runs record: plain nets and ResNets at two or more depths become the curves of
 * `degradationFigure` (in @resnet/report) and a summary of final errors. No training here: the runs
 * come from the `Training` class (or from checkpoints), so a figure can be redrawn from stored runs
 * at any time.
 *
 * The curves are the paper's: training error as logged during training (the mean over each log
 * interval's augmented mini-batches, BN in training mode; the thin dashed lines) and test error from
 * the evaluations on the test split (the bold lines). Validation evaluations are not test error and
 * are left out.
 */
import type { ResNetSpec } from '../architectures/spec.js';
import { ResNetError } from '../errors.js';
import type { EvalRecord, LogRecord, TrainingHistory } from '../training/checkpoint.js';
import { networkIdentity, type NetworkKind } from './labels.js';

/** One training run of the experiment: which network, and what its training recorded. */
export interface ExperimentRun {
  /** The model's registry name (`plain20`, `resnet56`). */
  readonly model: string;
  /** The network's spec: says plain or residual and the depth. */
  readonly spec: ResNetSpec;
  readonly history: TrainingHistory;
  /** Legend label; default the paper's ("plain-20", "ResNet-56"). */
  readonly label?: string;
}

/**
 * One logged point of a training run. Errors are fractions in [0, 1] (0.0697 = 6.97%). null or
 * absent: not measured at this iteration (test error is usually logged less often), and the line
 * goes on to the next measured point; NaN or ±Infinity: a break in the line.
 */
export interface TrainingCurvePoint {
  readonly iteration: number;
  readonly trainError?: number | null;
  readonly testError?: number | null;
}

/** One run as `degradationFigure` (@resnet/report) draws it. */
export interface DegradationRun {
  /** The legend label: "plain-20", "ResNet-56", … */
  readonly name: string;
  /** Which panel: plain nets left, ResNets right. */
  readonly kind: 'plain' | 'residual';
  /** Depth in weighted layers; sets the colour (the same depth has the same colour in both panels) and the order. */
  readonly depth: number;
  readonly curve: readonly TrainingCurvePoint[];
}

export interface DegradationSummaryRow {
  readonly model: string;
  readonly label: string;
  readonly kind: NetworkKind;
  readonly depth: number;
  /** Iterations trained: the last log record's. 0 when nothing was logged. */
  readonly iterations: number;
  /** The last log record's training error (fraction); null when nothing was logged. */
  readonly finalTrainError: number | null;
  /** The last test-split evaluation's top-1 error (fraction); null when there was none. */
  readonly finalTestError: number | null;
  /** The iteration of that evaluation; null when there was none. */
  readonly finalTestIteration: number | null;
}

/** For each kind, how the deeper net's final training error compares with the shallower one's. */
export interface DepthComparison {
  readonly kind: NetworkKind;
  readonly shallow: { readonly model: string; readonly depth: number };
  readonly deep: { readonly model: string; readonly depth: number };
  /** deep − shallow final training error (fraction); > 0 means the deeper net trains worse: degradation. */
  readonly trainErrorGap: number;
  readonly testErrorGap: number | null;
  readonly degraded: boolean;
}

function checkHistory(history: unknown, where: string): TrainingHistory {
  const h = (history ?? {}) as Partial<TrainingHistory>;
  if (!Array.isArray(h.log) || !Array.isArray(h.eval)) {
    throw new ResNetError(`degradation: ${where}.history must be { log: LogRecord[], eval: EvalRecord[] }, got ${JSON.stringify(history)?.slice(0, 80)}`);
  }
  h.log.forEach((r: Partial<LogRecord>, i) => {
    if (typeof r.iteration !== 'number' || typeof r.trainError !== 'number') {
      throw new ResNetError(`degradation: ${where}.history.log[${i}] must have numeric iteration and trainError, got ${JSON.stringify(r)}`);
    }
  });
  h.eval.forEach((r: Partial<EvalRecord>, i) => {
    if (typeof r.iteration !== 'number' || typeof r.top1Error !== 'number' || (r.split !== 'val' && r.split !== 'test')) {
      throw new ResNetError(`degradation: ${where}.history.eval[${i}] must have numeric iteration and top1Error and split 'val' or 'test', got ${JSON.stringify(r)}`);
    }
  });
  return h as TrainingHistory;
}

/**
 * One run's curve: a point per logged or test-evaluated iteration, in iteration order; training
 * error from the log records, test error from the test-split evaluations (the latest one if an
 * iteration was evaluated twice, as happens when a finished run is resumed).
 */
export function trainingCurve(history: TrainingHistory): TrainingCurvePoint[] {
  const h = checkHistory(history, 'run');
  const points = new Map<number, { iteration: number; trainError: number | null; testError: number | null }>();
  const at = (iteration: number): { iteration: number; trainError: number | null; testError: number | null } => {
    let p = points.get(iteration);
    if (!p) points.set(iteration, (p = { iteration, trainError: null, testError: null }));
    return p;
  };
  for (const r of h.log) at(r.iteration).trainError = r.trainError;
  for (const r of h.eval) if (r.split === 'test') at(r.iteration).testError = r.top1Error;
  return [...points.values()].sort((a, b) => a.iteration - b.iteration);
}

/** The runs as `degradationFigure` draws them: plain nets left, ResNets right, coloured by depth. */
export function degradationRuns(runs: readonly ExperimentRun[]): DegradationRun[] {
  return runs.map((run, i) => {
    checkHistory(run.history, `runs[${i}] (${run.model})`);
    const id = networkIdentity(run.spec);
    return { name: run.label ?? id.label, kind: id.kind, depth: id.depth, curve: trainingCurve(run.history) };
  });
}

/** Final training and test error of each run, in the order given. */
export function degradationSummary(runs: readonly ExperimentRun[]): DegradationSummaryRow[] {
  return runs.map((run, i) => {
    const h = checkHistory(run.history, `runs[${i}] (${run.model})`);
    const id = networkIdentity(run.spec);
    const lastLog = h.log.reduce<LogRecord | undefined>((last, r) => (!last || r.iteration >= last.iteration ? r : last), undefined);
    const lastTest = h.eval.filter((r) => r.split === 'test').reduce<EvalRecord | undefined>((last, r) => (!last || r.iteration >= last.iteration ? r : last), undefined);
    return {
      model: run.model,
      label: run.label ?? id.label,
      kind: id.kind,
      depth: id.depth,
      iterations: lastLog?.iteration ?? 0,
      finalTrainError: lastLog?.trainError ?? null,
      finalTestError: lastTest?.top1Error ?? null,
      finalTestIteration: lastTest?.iteration ?? null,
    };
  });
}

/**
 * The paper's reading of Fig. 6: for each kind, the deepest net against the shallowest by final
 * training error. Degradation is the plain deep net training worse; ResNets should not.
 * Kinds with fewer than two depths (or no logged training error) are left out.
 */
export function compareDepths(summary: readonly DegradationSummaryRow[]): DepthComparison[] {
  const out: DepthComparison[] = [];
  for (const kind of ['plain', 'residual'] as const) {
    const rows = summary.filter((r) => r.kind === kind && r.finalTrainError !== null).sort((a, b) => a.depth - b.depth);
    const shallow = rows[0];
    const deep = rows[rows.length - 1];
    if (!shallow || !deep || shallow.depth === deep.depth) continue;
    const trainErrorGap = deep.finalTrainError! - shallow.finalTrainError!;
    out.push({
      kind,
      shallow: { model: shallow.model, depth: shallow.depth },
      deep: { model: deep.model, depth: deep.depth },
      trainErrorGap,
      testErrorGap: deep.finalTestError !== null && shallow.finalTestError !== null ? deep.finalTestError - shallow.finalTestError : null,
      degraded: trainErrorGap > 0,
    });
  }
  return out;
}
