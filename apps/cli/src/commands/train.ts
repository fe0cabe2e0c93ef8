/**
 * `resnet train`: a model, a data set and a recipe in; a run folder out: checkpoint.safetensors
 * (atomic, every N iterations, at the end and on Ctrl-C), metrics.jsonl, report.html, curves.svg
 * and the final weights as a PyTorch-layout safetensors file. `--resume` continues exactly where the
 * checkpoint left off.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  RECIPE_NAMES,
  ResNet,
  Training,
  TrainingDivergedError,
  createModel,
  resolveSpec,
  depthOf,
  exportSafetensors,
  parseCheckpoint,
  resolveRecipe,
  serializeCheckpoint,
  type Checkpoint,
  type ClassificationMetrics,
  type TrainConfig,
  type TrainOverrides,
  type TrainingOutcome,
} from '@resnet/core';
import { readBytes, writeBytesAtomic } from '@resnet/node-io';
import { htmlReport } from '@resnet/report';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { DATASET_FORMS, openDataset, type RunData } from '../data.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { ProgressBar, formatDuration, logLine } from '../progress.js';
import { curvesSvg, runReport } from '../checkpoint_report.js';

export const TRAIN_HELP = `resnet train [--model resnet20] [--dataset synthetic] [--recipe <name>] [--out runs/<name>] [options]

Trains a network of the paper and evaluates it on the held-out sets. Ctrl-C stops after the current
iteration with a checkpoint; --resume continues from it exactly.
  --model         any network of \`resnet models\` (default resnet20)
  --dataset       ${DATASET_FORMS} (default synthetic)
  --download      fetch CIFAR-10 into the cache ($RESNET_CACHE or ~/.cache/resnet) if it is not there
  --recipe        ${RECIPE_NAMES.join(', ')} (default: synthetic for the synthetic set,
                  cifar10-paper for CIFAR-10, imagenet-paper for folders)
  --out           the run folder (default runs/<model>-<dataset>)
  --resume        continue the run in --out from its checkpoint (--iterations may extend it)
  --backend       auto|node-gpu|node|webgpu|onednn|wasm|cpu (default auto: the fastest that runs here)
  Recipe overrides: --iterations N, --batch-size N, --lr X (base rate; the schedule keeps its shape),
  --warmup none|N (drop the warm-up, or warm up for at most N iterations), --momentum X,
  --weight-decay X, --weight-decay-scope all|weights-only, --seed N, --val-size N,
  --eval-every N, --log-every N, --checkpoint-every N
  --quiet         no progress line or log lines; --json prints the final summary as JSON`;

export interface TrainRunOptions {
  readonly model: string;
  readonly dataset: string;
  readonly recipe?: string;
  /** `learningRate` replaces the schedule's base rate; `warmup` its warm-up: 'none', or a length in iterations. */
  readonly overrides: TrainOverrides & { learningRate?: number; warmup?: number | 'none' };
  readonly backend: string;
  readonly out: string;
  readonly resume: boolean;
  readonly download: boolean;
  /** Live progress line (on a terminal) and log lines. */
  readonly progress: boolean;
  /** Smaller synthetic sets (tests). */
  readonly syntheticSize?: { train: number; test: number };
  /** Stop as if interrupted after this many iterations (tests of resumption). */
  readonly stopAt?: number;
  readonly signal?: AbortSignal;
}

export interface TrainRunResult {
  readonly outcome: TrainingOutcome;
  readonly runDir: string;
  readonly checkpointPath: string;
  readonly reportPath: string;
  readonly metricsPath: string;
  readonly weightsPath: string;
  readonly curvesPath: string;
  readonly backend: string;
  readonly config: TrainConfig;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

function defaultRecipe(dataset: string): string {
  if (dataset.startsWith('cifar10')) return 'cifar10-paper';
  if (dataset.startsWith('folder:')) return 'imagenet-paper';
  return 'synthetic';
}

async function readCheckpoint(file: string): Promise<Checkpoint> {
  return parseCheckpoint(await readBytes(file), file);
}

/** Trains one run end to end; the building block of `train` and of `experiment degradation`. */
export async function trainRun(options: TrainRunOptions, io: Output): Promise<TrainRunResult> {
  const runDir = path.resolve(options.out);
  const checkpointPath = path.join(runDir, CHECKPOINT_FILE);
  const metricsPath = path.join(runDir, 'metrics.jsonl');
  const reportPath = path.join(runDir, 'report.html');
  const curvesPath = path.join(runDir, 'curves.svg');
  const weightsPath = path.join(runDir, 'weights.safetensors');
  const paths = { runDir, checkpointPath, metricsPath, reportPath, curvesPath, weightsPath };

  // Refuse to overwrite a run, and read the checkpoint first: a damaged one stops us before any work.
  let resumeFrom: Checkpoint | undefined;
  if (existsSync(checkpointPath)) {
    if (!options.resume) {
      const meta = (await readCheckpoint(checkpointPath)).meta;
      throw new UsageError(`${runDir} already holds a run (${meta.spec.name}, iteration ${meta.iteration} of ${meta.config.iterations}); pass --resume to continue it, or choose another --out`);
    }
    resumeFrom = await readCheckpoint(checkpointPath);
  } else if (options.resume) {
    throw new UsageError(`--resume: there is no checkpoint in ${runDir} (expected ${CHECKPOINT_FILE})`);
  }

  const status = await initBackend(options.backend);
  const backend = describeBackend(status).replace(/^backend /, '').split('\n')[0]!;
  const say = (line: string): void => {
    if (options.progress) io.err(line);
  };
  say(describeBackend(status));

  const data: RunData = await openDataset(options.dataset, {
    valSize: options.overrides.valSize ?? (resumeFrom ? resumeFrom.meta.config.valSize : resolveRecipe(options.recipe ?? defaultRecipe(options.dataset)).valSize),
    download: options.download,
    log: say,
    ...(resumeFrom?.mean ? { mean: resumeFrom.mean } : {}),
    ...(options.syntheticSize ? { syntheticSize: options.syntheticSize } : {}),
  });

  // The model: from the checkpoint's spec when resuming, else from the registry.
  let model: ResNet;
  let config: TrainConfig;
  if (resumeFrom) {
    const m = resumeFrom.meta;
    if (m.spec.name !== options.model) throw new UsageError(`--resume: the run in ${runDir} trains ${m.spec.name}, not ${options.model}`);
    model = new ResNet(m.spec, { bnMomentum: m.bnMomentum, bnEpsilon: m.bnEpsilon });
    // A resumed run keeps its recipe; only its length and reporting may change.
    const { iterations, evalEvery, logEvery, checkpointEvery, evalBatchSize } = options.overrides;
    const allowed = { iterations, evalEvery, logEvery, checkpointEvery, evalBatchSize };
    config = { ...m.config, ...Object.fromEntries(Object.entries(allowed).filter(([, v]) => v !== undefined)) };
  } else {
    const recipe = options.recipe ?? defaultRecipe(options.dataset);
    // The spec alone decides the recipe (ResNet-110's warm-up); no need to build the weights for it.
    const modelOptions = { numClasses: data.classNames.length, ...(data.inputSize !== 32 ? { inputSize: data.inputSize } : {}) };
    const spec = resolveSpec(options.model, modelOptions);
    const { learningRate, warmup, ...overrides } = options.overrides;
    const base = resolveRecipe(recipe, spec, overrides);
    let schedule = base.schedule;
    if (learningRate !== undefined) schedule = { ...schedule, base: learningRate };
    if (warmup === 'none') {
      const { warmup: _dropped, ...rest } = schedule;
      schedule = rest;
    } else if (warmup !== undefined) {
      schedule = { ...schedule, warmup: { learningRate: schedule.warmup?.learningRate ?? schedule.base / 10, ...(schedule.warmup?.untilTrainError !== undefined ? { untilTrainError: schedule.warmup.untilTrainError } : {}), maxIterations: warmup } };
    }
    config = schedule === base.schedule ? base : resolveRecipe(recipe, spec, { ...overrides, schedule });
    model = createModel(options.model, { ...modelOptions, seed: config.seed });
  }
  if (model.spec.inputSize !== data.inputSize) {
    throw new UsageError(`${model.spec.name} takes ${model.spec.inputSize}×${model.spec.inputSize} images but ${options.dataset} gives ${data.inputSize}×${data.inputSize}; pick a ${data.inputSize === 32 ? 'CIFAR' : 'ImageNet'} network`);
  }

  const training = new Training(model, { train: data.train, ...(data.val ? { val: data.val } : {}), ...(data.test ? { test: data.test } : {}), mean: data.mean }, config);
  const summary = model.summary();
  // A resumed run started its training `elapsed` seconds before its checkpoint was saved.
  const startedAt = resumeFrom ? new Date(Date.parse(resumeFrom.meta.savedAt) - resumeFrom.meta.elapsed * 1000).toISOString() : new Date().toISOString();
  let lastCheckpoint: { meta: Checkpoint['meta'] } | undefined = resumeFrom;
  let finalMetrics: { val?: ClassificationMetrics; test?: ClassificationMetrics } = {};
  const writeReport = async (meta: Checkpoint['meta'], runStatus: string, notes?: string[]): Promise<void> => {
    const report = runReport(meta, {
      name: `${meta.spec.name} · ${path.basename(runDir)}`,
      status: runStatus,
      startedAt,
      backend,
      dataset: data.description,
      params: summary.params,
      macs: summary.macs,
      depth: depthOf(model.spec),
      final: finalMetrics,
      classNames: data.classNames,
      ...(notes ? { notes } : {}),
    });
    await writeBytesAtomic(reportPath, new TextEncoder().encode(htmlReport(report)));
    await writeBytesAtomic(curvesPath, new TextEncoder().encode(curvesSvg(report.name, meta.history)));
  };

  mkdirSync(runDir, { recursive: true });
  if (resumeFrom) {
    training.restore(resumeFrom);
    // metrics.jsonl restarts from what the checkpoint knows: lines written after it would repeat.
    const h = resumeFrom.meta.history;
    const lines = [...h.log, ...h.eval].sort((a, b) => a.iteration - b.iteration || (a.type === 'log' ? -1 : 1)).map((r) => JSON.stringify(r));
    await writeBytesAtomic(metricsPath, new TextEncoder().encode(lines.length ? `${lines.join('\n')}\n` : ''));
    say(`resuming ${model.spec.name} from iteration ${resumeFrom.meta.iteration} of ${config.iterations} (${checkpointPath})`);
  } else {
    await writeBytesAtomic(metricsPath, new Uint8Array());
    await writeBytesAtomic(path.join(runDir, 'config.json'), new TextEncoder().encode(`${JSON.stringify({ model: model.spec, config, dataset: options.dataset, ...(options.syntheticSize ? { syntheticSize: options.syntheticSize } : {}), backend }, null, 2)}\n`));
  }
  say(`training ${model.spec.name} (${summary.params.toLocaleString('en-US')} parameters) on ${data.description}`);
  say(`recipe ${config.recipe}: batch ${config.batchSize}, ${config.iterations.toLocaleString('en-US')} iterations, lr ${config.schedule.base}, momentum ${config.momentum}, weight decay ${config.weightDecay}; run folder ${runDir}`);

  // metrics.jsonl lines are appended in order; the run waits for them before it returns.
  let writes: Promise<void> = Promise.resolve();
  const record = (r: object): void => {
    writes = writes.then(() => appendFile(metricsPath, `${JSON.stringify(r)}\n`));
  };
  const bar = new ProgressBar(options.progress ? process.stderr : undefined);
  const line = (text: string): void => {
    bar.clear();
    say(text);
  };
  let outcome: TrainingOutcome;
  try {
    outcome = await training.run({
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.stopAt !== undefined ? { stopAt: options.stopAt } : {}),
      events: {
        onStep: (s) => bar.update(s),
        onLog: (r) => {
          if (!bar.live) line(logLine(r, config.iterations));
          record(r);
        },
        onEvaluation: (r, m) => {
          line(`  ${r.split} at iteration ${r.iteration}: top-1 error ${(r.top1Error * 100).toFixed(2)}%, top-5 error ${(r.top5Error * 100).toFixed(2)}%, loss ${r.loss.toFixed(4)}`);
          record(r);
          if (r.iteration === config.iterations) finalMetrics = { ...finalMetrics, [r.split]: m };
        },
        saveCheckpoint: async (c) => {
          await writeBytesAtomic(checkpointPath, await serializeCheckpoint(c));
          lastCheckpoint = c;
          await writeReport(c.meta, c.meta.iteration >= config.iterations ? 'finished' : 'running');
        },
      },
    });
  } catch (e) {
    bar.clear();
    if (e instanceof TrainingDivergedError) {
      const kept = lastCheckpoint ? `the last good checkpoint (iteration ${lastCheckpoint.meta.iteration}) is kept in ${checkpointPath}` : 'no checkpoint had been written yet';
      if (lastCheckpoint) await writeReport(lastCheckpoint.meta, 'diverged', [e.message]);
      throw new TrainingDivergedError(`${e.message}\n${kept}`, e.iteration, e.loss);
    }
    throw e;
  } finally {
    training.dispose();
    await writes;
  }
  bar.clear();
  if (outcome.status === 'finished') {
    await writeBytesAtomic(weightsPath, await exportSafetensors(model));
    await writeReport(lastCheckpoint!.meta, 'finished');
  } else {
    await writeReport(lastCheckpoint!.meta, 'stopped');
  }
  model.dispose();
  return { outcome, ...paths, backend, config };
}

function num(flag: string, v: string | undefined, kind: 'int' | 'int0' | 'float'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const ok = kind === 'float' ? Number.isFinite(n) && n >= 0 : Number.isInteger(n) && n >= (kind === 'int' ? 1 : 0);
  if (!ok) throw new UsageError(`--${flag} must be ${kind === 'float' ? 'a number ≥ 0' : kind === 'int' ? 'a positive integer' : 'an integer ≥ 0'}, got "${v}"`);
  return n;
}

export async function trainCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      model: { type: 'string', default: 'resnet20' },
      dataset: { type: 'string', default: 'synthetic' },
      recipe: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean', default: false },
      download: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'auto' },
      iterations: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      warmup: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      'weight-decay-scope': { type: 'string' },
      seed: { type: 'string' },
      'val-size': { type: 'string' },
      'eval-every': { type: 'string' },
      'log-every': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'synthetic-size': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`train takes options only, got "${positionals.join(' ')}"`);
  backendFlag(values.backend);
  if (values.recipe !== undefined && !RECIPE_NAMES.includes(values.recipe)) throw new UsageError(`--recipe must be one of ${RECIPE_NAMES.join(', ')}, got "${values.recipe}"`);
  const scope = values['weight-decay-scope'];
  if (scope !== undefined && scope !== 'all' && scope !== 'weights-only') throw new UsageError(`--weight-decay-scope must be all or weights-only, got "${scope}"`);
  const momentum = num('momentum', values.momentum, 'float');
  if (momentum !== undefined && momentum >= 1) throw new UsageError(`--momentum must be in [0, 1), got "${values.momentum}"`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  let syntheticSize: { train: number; test: number } | undefined;
  if (values['synthetic-size'] !== undefined) {
    const m = /^(\d+),(\d+)$/.exec(values['synthetic-size']);
    if (!m || +m[1]! < 1 || +m[2]! < 1) throw new UsageError(`--synthetic-size must be <train>,<test>, e.g. 10000,2000; got "${values['synthetic-size']}"`);
    syntheticSize = { train: +m[1]!, test: +m[2]! };
  }
  const warmup = values.warmup === undefined || values.warmup === 'none' ? values.warmup : num('warmup', values.warmup, 'int');
  const overrides: TrainRunOptions['overrides'] = Object.fromEntries(
    Object.entries({
      iterations: num('iterations', values.iterations, 'int'),
      batchSize: num('batch-size', values['batch-size'], 'int'),
      learningRate: num('lr', values.lr, 'float'),
      warmup,
      momentum,
      weightDecay: num('weight-decay', values['weight-decay'], 'float'),
      weightDecayScope: scope,
      seed,
      valSize: num('val-size', values['val-size'], 'int0'),
      evalEvery: num('eval-every', values['eval-every'], 'int'),
      logEvery: num('log-every', values['log-every'], 'int'),
      checkpointEvery: num('checkpoint-every', values['checkpoint-every'], 'int0'),
    }).filter(([, v]) => v !== undefined),
  );
  const datasetKind = values.dataset.split(':')[0]!;
  const out = values.out ?? path.join('runs', `${values.model}-${datasetKind}`);

  // Ctrl-C: finish the iteration, write a checkpoint, exit 130. A second Ctrl-C exits at once.
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.err('\nresnet: stopping after this iteration and saving a checkpoint (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: TrainRunResult;
  try {
    result = await trainRun(
      {
        model: values.model,
        dataset: values.dataset,
        ...(values.recipe ? { recipe: values.recipe } : {}),
        overrides,
        backend: values.backend,
        out,
        resume: values.resume,
        download: values.download,
        progress: !values.quiet,
        ...(syntheticSize ? { syntheticSize } : {}),
        signal: controller.signal,
      },
      io,
    );
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      io.err(e.message);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const { outcome } = result;
  const test = outcome.final.test;
  const val = outcome.final.val;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          status: outcome.status,
          iteration: outcome.iteration,
          model: values.model,
          backend: result.backend,
          ...(test ? { test: { top1Error: test.top1Error, top5Error: test.top5Error, accuracy: 1 - test.top1Error, loss: test.loss, count: test.count } } : {}),
          ...(val ? { val: { top1Error: val.top1Error, top5Error: val.top5Error, accuracy: 1 - val.top1Error, loss: val.loss, count: val.count } } : {}),
          files: { checkpoint: result.checkpointPath, metrics: result.metricsPath, report: result.reportPath, curves: result.curvesPath, ...(outcome.status === 'finished' ? { weights: result.weightsPath } : {}) },
        },
        null,
        2,
      ),
    );
    return outcome.status === 'finished' ? 0 : 130;
  }
  if (outcome.status === 'stopped') {
    io.out(`stopped at iteration ${outcome.iteration}; checkpoint saved to ${result.checkpointPath}`);
    io.out(`continue with: resnet train --model ${values.model} --dataset ${values.dataset} --out ${out} --resume`);
    return 130;
  }
  const last = outcome.history.log[outcome.history.log.length - 1];
  const lines = [
    `trained ${values.model} for ${outcome.iteration.toLocaleString('en-US')} iterations in ${formatDuration(last?.elapsed ?? 0)} on ${result.backend}`,
    ...(val ? [`validation accuracy: ${((1 - val.top1Error) * 100).toFixed(2)}% (top-1 error ${(val.top1Error * 100).toFixed(2)}%, top-5 error ${(val.top5Error * 100).toFixed(2)}%, ${val.count.toLocaleString('en-US')} images)`] : []),
    ...(test ? [`test accuracy: ${((1 - test.top1Error) * 100).toFixed(2)}% (top-1 error ${(test.top1Error * 100).toFixed(2)}%, top-5 error ${(test.top5Error * 100).toFixed(2)}%, ${test.count.toLocaleString('en-US')} images)`] : []),
    `report:     ${result.reportPath}`,
    `curves:     ${result.curvesPath}`,
    `metrics:    ${result.metricsPath}`,
    `checkpoint: ${result.checkpointPath}`,
    `weights:    ${result.weightsPath} (PyTorch layout; use with resnet eval/predict/infer)`,
  ];
  io.out(lines.join('\n'));
  return 0;
}
