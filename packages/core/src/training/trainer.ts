/**
 * A training run: the loop around `trainStep` that follows the recipe's schedule, keeps the metrics
 * (log records, evaluations), evaluates on the held-out sets, and hands checkpoints to the platform
 * to store. It can stop between iterations (an AbortSignal: Ctrl-C) with a checkpoint, and continue
 * from one exactly: same batches, same augmentation, same updates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, type LoaderPosition } from '../data/loader.js';
import type { Dataset } from '../data/types.js';
import { ResNetError } from '../errors.js';
import { evaluate } from '../evaluation/evaluate.js';
import type { ClassificationMetrics } from '../evaluation/metrics.js';
import { isHeadWeight } from '../model/freeze.js';
import type { ResNet } from '../model/resnet.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type EvalRecord,
  type LogRecord,
  type PendingInterval,
  type TrainingHistory,
} from './checkpoint.js';
import { RESUMABLE_FIELDS, checkTrainConfig, type TrainConfig } from './recipes.js';
import { LearningRateSchedule } from './schedule.js';
import { SGD, trainableParams } from './sgd.js';
import { trainStep } from './step.js';

export interface TrainingData {
  readonly train: Dataset;
  /** Held-out part of the training data: monitored for plateau schedules. */
  readonly val?: Dataset;
  readonly test?: Dataset;
  /** The mean the data sets subtract (per pixel, or per channel); stored in checkpoints so evaluation and prediction can use it. */
  readonly mean?: Float32Array;
  /** The per-channel standard deviation they divide by, if any; stored likewise. */
  readonly std?: Float32Array;
}

/** What the loop reports after every iteration (for a progress bar). */
export interface StepInfo {
  readonly iteration: number;
  readonly iterations: number;
  readonly epoch: number;
  readonly learningRate: number;
  readonly loss: number;
  readonly error: number;
  /** Smoothed over recent iterations. */
  readonly imagesPerSecond: number;
  readonly elapsed: number;
  /** Seconds left at the current speed (evaluations not included). */
  readonly eta: number;
}

export interface TrainingEvents {
  onStep?(info: StepInfo): void;
  onLog?(record: LogRecord): void;
  onEvaluation?(record: EvalRecord, metrics: ClassificationMetrics): void;
  /** Store a checkpoint (atomically). The run waits for it. */
  saveCheckpoint?(checkpoint: Checkpoint): Promise<void>;
}

export interface TrainingRunOptions {
  /** Stop (with a checkpoint) before the next iteration once aborted. */
  readonly signal?: AbortSignal;
  readonly events?: TrainingEvents;
  /** Stop after this many iterations in total, as if interrupted (tests, time-boxed runs). */
  readonly stopAt?: number;
}

export interface TrainingOutcome {
  /** `finished`: all iterations done and final evaluations made; `stopped`: interrupted, checkpoint saved. */
  readonly status: 'finished' | 'stopped';
  readonly iteration: number;
  readonly history: TrainingHistory;
  /** Final metrics (finished runs). */
  readonly final: { readonly val?: ClassificationMetrics; readonly test?: ClassificationMetrics };
}

const now = (): number => (globalThis.performance ?? Date).now() / 1000;

/** Resolves after the event loop has had a turn (timers, I/O, signals): setImmediate in Node, a MessageChannel message in browsers. */
function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A training run of `model` on `data` with a recipe's `config` (see {@link resolveRecipe}): SGD with
 * momentum and weight decay, the learning-rate schedule, shuffled and augmented batches, periodic
 * evaluation and checkpoints. {@link Training.run} trains; {@link Training.restore} continues a run
 * from a checkpoint exactly (same batches, same updates).
 *
 * @example
 * ```ts
 * const { train, test, mean } = syntheticDatasets({ trainSize: 2000, testSize: 500 });
 * const model = createModel('resnet20', { seed: 1 });
 * const training = new Training(model, { train, test, mean }, resolveRecipe('synthetic', model.spec, { iterations: 300 }));
 * const outcome = await training.run({ events: { onStep: (s) => console.log(s.iteration, s.loss) } });
 * console.log(outcome.final.test?.top1Error);
 * training.dispose();
 * ```
 */
export class Training {
  readonly config: TrainConfig;
  readonly optimizer: SGD;
  readonly schedule: LearningRateSchedule;
  readonly loader: DataLoader;
  private iterationsDone = 0;
  private position: LoaderPosition = { epoch: 0, batch: 0 };
  private history: { log: LogRecord[]; eval: EvalRecord[] } = { log: [], eval: [] };
  private pending: PendingInterval = { lossSum: 0, errorSum: 0, count: 0 };
  private elapsedBefore = 0;

  constructor(
    readonly model: ResNet,
    readonly data: TrainingData,
    config: TrainConfig,
  ) {
    this.config = checkTrainConfig(config);
    const { train } = data;
    if (train.classNames.length !== model.spec.numClasses) {
      throw new ResNetError(
        `train: ${train.name} has ${train.classNames.length} classes but ${model.spec.name} has ${model.spec.numClasses} outputs (pass numClasses: ${train.classNames.length})`,
      );
    }
    const [h, w, c] = train.imageShape;
    if (h !== model.spec.inputSize || w !== model.spec.inputSize || c !== model.spec.inputChannels) {
      throw new ResNetError(
        `train: ${train.name} gives ${h}×${w}×${c} images but ${model.spec.name} takes ${model.spec.inputSize}×${model.spec.inputSize}×${model.spec.inputChannels}`,
      );
    }
    // Transfer learning (recipes.ts: finetune): frozen stages leave the optimizer; the backbone may train slower than the head.
    model.freeze(this.config.freeze ?? 'none');
    const backboneScale = this.config.backboneLrScale ?? 1;
    const scale = (name: string): number => (isHeadWeight(model.plan, name) ? 1 : backboneScale);
    this.optimizer = new SGD(trainableParams(model.variables, backboneScale === 1 ? undefined : scale), {
      learningRate: config.schedule.base,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
      weightDecayScope: config.weightDecayScope,
    });
    this.schedule = new LearningRateSchedule(config.schedule);
    this.loader = new DataLoader(train, { batchSize: config.batchSize, seed: config.seed, shuffle: 'full', augment: true, dropLast: true });
  }

  get iteration(): number {
    return this.iterationsDone;
  }

  get metrics(): TrainingHistory {
    return { log: [...this.history.log], eval: [...this.history.eval] };
  }

  /** Trains until the configured iterations are done, `stopAt`, or the signal aborts. */
  async run(options: TrainingRunOptions = {}): Promise<TrainingOutcome> {
    const { signal, events = {}, stopAt } = options;
    const total = this.config.iterations;
    const limit = Math.min(total, stopAt ?? total);
    const started = now();
    let intervalStart = now();
    let intervalImages = 0;
    let speed = 0;
    let status: TrainingOutcome['status'] = 'finished';
    const elapsed = (): number => this.elapsedBefore + (now() - started);
    if (this.iterationsDone < limit) {
      const stream = this.loader.stream(this.position);
      try {
        for (;;) {
          // A step may never give the event loop a turn (on CPU backends its read-back resolves at once), so a
          // Ctrl-C or SIGTERM would wait for the next file write: yield once per iteration so it is seen here.
          await nextMacrotask();
          if (signal?.aborted) {
            status = 'stopped';
            break;
          }
          const { value } = await stream.next();
          const { batch, next } = value!;
          const t0 = now();
          const rate = this.schedule.rate(this.iterationsDone);
          const step = await trainStep(this.model, this.optimizer, batch, rate, this.iterationsDone);
          const seconds = now() - t0;
          this.schedule.observeTrainError(this.iterationsDone, step.error);
          this.iterationsDone++;
          this.position = next;
          this.pending = {
            lossSum: this.pending.lossSum + step.loss,
            errorSum: this.pending.errorSum + step.error,
            count: this.pending.count + 1,
          };
          intervalImages += batch.size;
          const instant = batch.size / Math.max(seconds, 1e-9);
          speed = speed === 0 ? instant : 0.9 * speed + 0.1 * instant;
          const it = this.iterationsDone;
          events.onStep?.({
            iteration: it,
            iterations: total,
            epoch: this.epochs(),
            learningRate: rate,
            loss: step.loss,
            error: step.error,
            imagesPerSecond: speed,
            elapsed: elapsed(),
            eta: ((total - it) * this.config.batchSize) / speed,
          });
          if (it % this.config.logEvery === 0) {
            this.flushLog(rate, intervalImages / (now() - intervalStart), elapsed(), events);
            intervalStart = now();
            intervalImages = 0;
          }
          if (it % this.config.evalEvery === 0 && it < total) await this.evaluatePeriodic(events);
          if (this.config.checkpointEvery > 0 && it % this.config.checkpointEvery === 0 && it < total) await this.save(events, elapsed());
          if (it >= limit) {
            if (it < total) status = 'stopped';
            break;
          }
        }
      } finally {
        await stream.return(undefined);
      }
    }
    if (status === 'stopped') {
      await this.save(events, elapsed());
      return { status, iteration: this.iterationsDone, history: this.metrics, final: {} };
    }
    if (this.pending.count > 0)
      this.flushLog(this.schedule.rate(this.iterationsDone - 1), intervalImages / Math.max(now() - intervalStart, 1e-9), elapsed(), events);
    const final: { val?: ClassificationMetrics; test?: ClassificationMetrics } = {};
    for (const split of ['val', 'test'] as const) {
      const dataset = this.data[split];
      if (dataset) final[split] = await this.evaluateOn(split, dataset, events);
    }
    await this.save(events, elapsed());
    return { status, iteration: this.iterationsDone, history: this.metrics, final };
  }

  /** Everything needed to continue this run exactly. */
  async checkpoint(elapsed = this.elapsedBefore): Promise<Checkpoint> {
    const weights = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.model.variables) weights.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    const velocity = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.optimizer.velocities) velocity.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    const { train } = this.data;
    return {
      meta: {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        spec: this.model.spec,
        bnMomentum: this.model.bnMomentum,
        bnEpsilon: this.model.bnEpsilon,
        numBatchesTracked: this.model.numBatchesTracked,
        config: this.config,
        iteration: this.iterationsDone,
        position: this.position,
        schedule: this.schedule.state,
        history: this.metrics,
        pending: this.pending,
        dataset: { name: train.name, size: train.size, classNames: [...train.classNames] },
        elapsed,
        savedAt: new Date().toISOString(),
      },
      weights,
      velocity,
      ...(this.data.mean ? { mean: this.data.mean } : {}),
      ...(this.data.std ? { std: this.data.std } : {}),
    };
  }

  /**
   * Continues from a checkpoint of this run: same model, same training data, same recipe (only the
   * iteration count and reporting intervals may differ). Anything else is refused, naming the
   * difference, and nothing is changed.
   */
  restore(c: Checkpoint): void {
    const m = c.meta;
    const refuse = (why: string): never => {
      throw new ResNetError(`checkpoint: cannot resume: ${why}`);
    };
    if (JSON.stringify(m.spec) !== JSON.stringify(this.model.spec)) {
      refuse(
        `it is for ${m.spec.name} (${JSON.stringify(m.spec)}), this run trains ${this.model.spec.name} (${JSON.stringify(this.model.spec)})`,
      );
    }
    const { train } = this.data;
    if (
      m.dataset.name !== train.name ||
      m.dataset.size !== train.size ||
      JSON.stringify(m.dataset.classNames) !== JSON.stringify(train.classNames)
    ) {
      refuse(`it was trained on ${m.dataset.name} (${m.dataset.size} examples), this run uses ${train.name} (${train.size} examples)`);
    }
    for (const key of Object.keys(this.config) as (keyof TrainConfig)[]) {
      if (RESUMABLE_FIELDS.has(key)) continue;
      if (JSON.stringify(m.config[key]) !== JSON.stringify(this.config[key])) {
        refuse(`its ${key} is ${JSON.stringify(m.config[key])}, this run's is ${JSON.stringify(this.config[key])}`);
      }
    }
    if (m.iteration > this.config.iterations) refuse(`it is at iteration ${m.iteration}, beyond this run's ${this.config.iterations}`);
    if (this.data.mean && c.mean && !this.data.mean.every((v, i) => v === c.mean![i]))
      refuse("the per-pixel mean of the data differs from the checkpoint's");
    if (this.data.std && c.std && !this.data.std.every((v, i) => v === c.std![i]))
      refuse("the standard deviation the data is divided by differs from the checkpoint's");
    for (const [name] of this.optimizer.velocities) if (!c.velocity.has(name)) refuse(`it has no momentum buffer for "${name}"`);
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const [name, t] of c.weights) tensors.set(name, tf.tensor(t.data, t.shape));
      this.model.setWeights(tensors); // checks names and shapes, changes nothing on a mismatch
    } finally {
      tf.dispose([...tensors.values()]);
    }
    for (const [name, v] of this.optimizer.velocities) {
      const t = c.velocity.get(name)!;
      if (t.data.length !== v.size) refuse(`momentum buffer "${name}" has ${t.data.length} values, expected ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape)));
    }
    this.model.numBatchesTracked = m.numBatchesTracked;
    this.schedule.restore(m.schedule);
    this.iterationsDone = m.iteration;
    this.position = m.position;
    this.history = { log: [...m.history.log], eval: [...m.history.eval] };
    this.pending = m.pending;
    this.elapsedBefore = m.elapsed;
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  private epochs(): number {
    return (this.iterationsDone * this.config.batchSize) / this.data.train.size;
  }

  private flushLog(learningRate: number, imagesPerSecond: number, elapsed: number, events: TrainingEvents): void {
    const { lossSum, errorSum, count } = this.pending;
    const record: LogRecord = {
      type: 'log',
      iteration: this.iterationsDone,
      epoch: this.epochs(),
      learningRate,
      loss: lossSum / count,
      trainError: errorSum / count,
      imagesPerSecond,
      elapsed,
    };
    this.history.log.push(record);
    this.pending = { lossSum: 0, errorSum: 0, count: 0 };
    events.onLog?.(record);
  }

  private async evaluateOn(split: 'val' | 'test', dataset: Dataset, events: TrainingEvents): Promise<ClassificationMetrics> {
    const metrics = await evaluate(this.model, dataset, { batchSize: this.config.evalBatchSize });
    const record: EvalRecord = {
      type: 'eval',
      iteration: this.iterationsDone,
      split,
      top1Error: metrics.top1Error,
      top5Error: metrics.top5Error,
      loss: metrics.loss,
    };
    this.history.eval.push(record);
    events.onEvaluation?.(record, metrics);
    return metrics;
  }

  /** Evaluations during training: both held-out sets (the curves); the plateau watches val, or else the training error. */
  private async evaluatePeriodic(events: TrainingEvents): Promise<void> {
    let monitored: number | undefined;
    for (const split of ['val', 'test'] as const) {
      const dataset = this.data[split];
      if (!dataset) continue;
      const m = await this.evaluateOn(split, dataset, events);
      if (split === 'val') monitored = m.top1Error;
    }
    const lastLog = this.history.log[this.history.log.length - 1];
    monitored ??= lastLog?.trainError;
    if (monitored !== undefined) this.schedule.observeEvaluation(monitored, this.iterationsDone);
  }

  private async save(events: TrainingEvents, elapsed: number): Promise<void> {
    if (!events.saveCheckpoint) return;
    await events.saveCheckpoint(await this.checkpoint(elapsed));
  }
}
