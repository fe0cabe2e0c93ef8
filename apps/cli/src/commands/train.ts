/**
 * `resnet train`: a model, a data set and a recipe in; a run folder out: checkpoint.safetensors
 * (atomic, every N iterations, at the end and on Ctrl-C), metrics.jsonl, report.html, curves.svg
 * and the final weights as a PyTorch-layout safetensors file. `--resume` continues exactly where the
 * checkpoint left off.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  RECIPE_NAMES,
  ResNet,
  Training,
  TrainingDivergedError,
  checkTrainOverrides,
  depthOf,
  describeSchedule,
  exportSafetensors,
  frozenParts,
  importStateDict,
  planNetwork,
  planRun,
  resolveSpec,
  serializeCheckpoint,
  type Checkpoint,
  type ClassificationMetrics,
  type ModelOptions,
  type RunOverrides,
  type RunPlan,
  type TrainConfig,
  type TrainingOutcome,
} from '@resnet/core';
import {
  defaultCacheDir,
  modelOptionsFor,
  pretrainedModelName,
  readPretrained,
  resolvePretrained,
  writeBytesAtomic,
  type PretrainedStateDict,
} from '@resnet/node-io';
import { htmlReport } from '@resnet/report';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { DATASET_FORMS, findDataset, type DataSource, type RunData } from '../data.js';
import { UsageError } from '../errors.js';
import { choiceFlag, flagError, integerFlag, numberFlag, positiveIntegerFlag, syntheticSizeFlag } from '../flags.js';
import { exitCodeFor, stopOnInterrupt } from '../interrupt.js';
import { lockRunFolder } from '../run_lock.js';
import type { Output } from '../output.js';
import { downloadProgress } from '../download_progress.js';
import { ProgressBar, formatDuration, logLine } from '../progress.js';
import { curvesSvg, runEnvironment, runReport } from '../checkpoint_report.js';
import { openRunFolder, recordedCommandLine, writeRunFiles, type RunFiles } from '../run_files.js';

export const TRAIN_HELP = `resnet train [--model resnet20] [--dataset synthetic] [--recipe <name>] [--out runs/<name>] [options]

Trains a network of the paper and evaluates it on the held-out sets. Ctrl-C stops after the current
iteration with a checkpoint; --resume continues from it exactly.
  --model         any network of \`resnet models\` (default resnet20)
  --dataset       ${DATASET_FORMS} (default synthetic)
  --download      fetch CIFAR-10, MNIST or Fashion-MNIST into the cache ($RESNET_CACHE or ~/.cache/resnet) if it is not there
  --recipe        ${RECIPE_NAMES.join(', ')} (default: synthetic for the synthetic set,
                  cifar10-paper for CIFAR-10, imagenet-paper for folders)
  --out           the run folder (default runs/<model>-<dataset>)
  --resume        continue the run in --out from its checkpoint (--iterations may extend it)
  --backend       auto|node-gpu|node|webgpu|onednn|wasm|cpu (default auto: the fastest that runs here)
  --crop-size     folders: the image side the network takes (default 224; the resize sides scale with it)
Transfer learning (start from pretrained weights; the recipe defaults to finetune):
  --init          a published weights name (resnet weights), a .pth/.pt or a .safetensors state dict;
                  the backbone is loaded, the head is new for the data set's classes, and folder
                  images are normalised as the weights expect (ImageNet mean and std); --model
                  defaults to the weights' network
  --classes N     the new head's classes: must be the data set's (a check; default: the data set's)
  --freeze        none, conv1, conv2_x … or backbone: freeze every stage up to it (weights not
                  trained, BN in inference mode with its running statistics untouched)
  --backbone-lr X the backbone's base rate (default: finetune's 0.1 × --lr); the head follows --lr
  Recipe overrides: --iterations N, --batch-size N, --lr X (base rate; the schedule keeps its shape),
  --warmup none|N (drop the warm-up, or warm up for at most N iterations), --momentum X,
  --weight-decay X, --weight-decay-scope all|weights-only, --seed N, --val-size N,
  --eval-every N, --log-every N, --checkpoint-every N
  --synthetic-size TRAIN,TEST  the synthetic set's sizes (default 10000,2000; small ones for quick tries)
  --quiet         no progress line or log lines; --json prints the final summary as JSON`;

export interface TrainRunOptions {
  /** The network; with `init`, by default the weights' own. */
  readonly model?: string;
  /** Pretrained weights to start from: a catalogue name, a .pth/.pt or a .safetensors file. */
  readonly init?: string;
  /** The new head's classes, checked against the data set's. */
  readonly classes?: number;
  /** Folders: the crop side. */
  readonly cropSize?: number;
  readonly dataset: string;
  readonly recipe?: string;
  /** Recipe fields, and the schedule's base rate (`learningRate`) and warm-up (`warmup`: 'none', or a length in iterations). */
  readonly overrides: RunOverrides;
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

export interface TrainRunResult extends RunFiles {
  readonly outcome: TrainingOutcome;
  /** The network trained (the spec's name). */
  readonly model: string;
  /** `--resume` on a run that had already done its iterations: nothing was trained or written. */
  readonly alreadyFinished?: boolean;
  readonly backend: string;
  readonly config: TrainConfig;
}

function defaultRecipe(dataset: string, init: boolean): string {
  if (init) return 'finetune';
  if (dataset.startsWith('cifar10')) return 'cifar10-paper';
  if (dataset.startsWith('fashion-mnist') || dataset.startsWith('mnist')) return 'fashion-mnist';
  if (dataset.startsWith('folder:')) return 'imagenet-paper';
  return 'synthetic';
}

/** `--init`: the state dict to start from, the network it is for and the options of its layout. */
interface InitWeights {
  readonly read: PretrainedStateDict;
  readonly model: string;
  /** The layout the weights fit (widths, shortcut option, input channels, stride place), without their head. */
  readonly modelOptions: ModelOptions;
  readonly description: string;
}

async function readInit(weights: string, model: string | undefined, io: Output, say: (line: string) => void): Promise<InitWeights> {
  let resolved: ReturnType<typeof resolvePretrained>;
  try {
    resolved = resolvePretrained(weights);
  } catch (e) {
    throw new UsageError(
      `--init ${weights} is neither a file nor a published weights name: ${(e as Error).message.replace(/^resnet: /, '')}`,
    );
  }
  if (!resolved.entry && !model)
    throw new UsageError(`--model is required with --init ${weights} (a file the catalogue does not name): e.g. --model resnet18`);
  let name: string;
  try {
    name = pretrainedModelName(weights, resolved.entry, model ? { model } : {});
  } catch (e) {
    throw new UsageError(`--init: ${(e as Error).message.replace(/^resnet: /, '')}`);
  }
  const read = await readPretrained(weights, {
    cacheDir: defaultCacheDir(),
    onProgress: downloadProgress(io, resolved.entry?.fileName ?? weights),
  });
  const { numClasses: _head, ...layout } = modelOptionsFor(read, name);
  const entry = read.entry;
  say(`--init: ${entry ? `${entry.name} (${entry.torchvision}, top-1 ${entry.top1}% on ImageNet)` : read.file}`);
  return { read, model: name, modelOptions: layout, description: entry ? `${entry.name} (${read.file})` : read.file };
}

/** The network a catalogue name is for (the default --model and run folder with --init), else undefined. */
function initModel(weights: string): string | undefined {
  try {
    return resolvePretrained(weights).entry?.model;
  } catch {
    return undefined; // not a name or a file: readInit says so
  }
}

/** Starts the backend and says which it is; returns its one-line name for the reports. */
async function startBackend(name: string, say: (line: string) => void): Promise<string> {
  const status = await initBackend(name);
  say(describeBackend(status));
  return describeBackend(status)
    .replace(/^backend /, '')
    .split('\n')[0]!;
}

/** The spec, recipe and schedule: a resumed run's own, or core's plan for the model on this data. */
function plan(
  options: TrainRunOptions,
  model: string,
  source: DataSource,
  init: InitWeights | undefined,
  resumeFrom: Checkpoint | undefined,
): RunPlan {
  const m = resumeFrom?.meta;
  if (m && m.spec.name !== model)
    throw new UsageError(`--resume: the run in ${path.resolve(options.out)} trains ${m.spec.name}, not ${model}`);
  if (options.classes !== undefined && options.classes !== source.classNames.length)
    throw new UsageError(
      `--classes ${options.classes} does not fit ${options.dataset}, which has ${source.classNames.length} classes (${source.classNames.slice(0, 5).join(', ')}${source.classNames.length > 5 ? ', …' : ''})`,
    );
  const p = planRun({
    model,
    // An ImageNet net keeps its 224 input on 32×32 data, to be refused below rather than shrunk.
    data: {
      numClasses: source.classNames.length,
      ...(source.inputSize !== 32 ? { inputSize: source.inputSize } : {}),
      ...(source.inputChannels !== 3 ? { inputChannels: source.inputChannels } : {}),
    },
    // The layout the weights were made for (widths, shortcuts, the stride's place in a bottleneck); the head is the data's.
    ...(init ? { modelOptions: init.modelOptions } : {}),
    recipe: options.recipe ?? defaultRecipe(options.dataset, options.init !== undefined),
    // One rule with the web page: a run of another length keeps the recipe's shape (warm-up and milestones stretched to it).
    scaleSchedule: true,
    overrides: options.overrides,
    ...(m ? { resume: { spec: m.spec, config: m.config } } : {}),
  });
  if (p.config.freeze !== undefined) {
    try {
      frozenParts(planNetwork(p.spec), p.config.freeze, p.spec.name);
    } catch (e) {
      throw new UsageError(`--freeze: ${(e as Error).message.replace(/^resnet: /, '')}`);
    }
  }
  if (p.spec.inputSize !== source.inputSize) {
    throw new UsageError(
      `${p.spec.name} takes ${p.spec.inputSize}×${p.spec.inputSize} images but ${options.dataset} gives ${source.inputSize}×${source.inputSize}; pick a ${source.inputSize === 32 ? 'CIFAR' : 'ImageNet'} network`,
    );
  }
  return p;
}

/** The model and its training: fresh from the plan (its backbone from `init`), or exactly as the checkpoint left them (anything that differs is refused here, before a file is written). */
function startTraining(p: RunPlan, data: RunData, init: InitWeights | undefined, resumeFrom: Checkpoint | undefined): Training {
  const m = resumeFrom?.meta;
  const model = new ResNet(p.spec, m ? { bnMomentum: m.bnMomentum, bnEpsilon: m.bnEpsilon } : { seed: p.config.seed });
  let training: Training;
  try {
    training = new Training(
      model,
      {
        train: data.train,
        ...(data.val ? { val: data.val } : {}),
        ...(data.test ? { test: data.test } : {}),
        mean: data.mean,
        ...(data.std ? { std: data.std } : {}),
      },
      p.config,
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  try {
    if (resumeFrom) training.restore(resumeFrom);
    // The pretrained backbone under the new head (seeded with the run's seed above): a resumed run has it in its checkpoint.
    else if (init) importStateDict(model, init.read.state, { head: 'keep' });
  } catch (e) {
    training.dispose();
    model.dispose();
    throw e;
  }
  return training;
}

interface RunContext {
  readonly options: TrainRunOptions;
  readonly files: RunFiles;
  readonly backend: string;
  readonly data: RunData;
  readonly training: Training;
  readonly resumeFrom: Checkpoint | undefined;
  readonly say: (line: string) => void;
}

/** Trains, with the progress line, metrics.jsonl, a checkpoint and the report at each checkpoint interval, and the final weights. */
async function train(ctx: RunContext): Promise<TrainingOutcome> {
  const { options, files, backend, data, training, resumeFrom, say } = ctx;
  const { model, config } = training;
  const summary = model.summary();
  // A resumed run started its training `elapsed` seconds before its checkpoint was saved.
  const startedAt = resumeFrom
    ? new Date(Date.parse(resumeFrom.meta.savedAt) - resumeFrom.meta.elapsed * 1000).toISOString()
    : new Date().toISOString();
  let lastCheckpoint: { meta: Checkpoint['meta'] } | undefined = resumeFrom;
  let finalMetrics: { val?: ClassificationMetrics; test?: ClassificationMetrics } = {};
  const environment = runEnvironment(
    resumeFrom !== undefined,
    process.argv,
    resumeFrom ? await recordedCommandLine(files.runDir) : undefined,
  );
  const writeReport = async (meta: Checkpoint['meta'], runStatus: string, notes?: string[]): Promise<void> => {
    const report = runReport(meta, {
      name: `${meta.spec.name} · ${path.basename(files.runDir)}`,
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
      ...environment,
    });
    await writeBytesAtomic(files.reportPath, new TextEncoder().encode(htmlReport(report)));
    await writeBytesAtomic(files.curvesPath, new TextEncoder().encode(curvesSvg(report.name, meta.history)));
  };

  if (resumeFrom)
    say(`resuming ${model.spec.name} from iteration ${resumeFrom.meta.iteration} of ${config.iterations} (${files.checkpointPath})`);
  const trained = model.trainableVariables().reduce((n, v) => n + v.size, 0);
  const frozen = model.frozen === 'none' ? '' : `, ${trained.toLocaleString('en-US')} trained: frozen up to ${model.frozen}`;
  say(`training ${model.spec.name} (${summary.params.toLocaleString('en-US')} parameters${frozen}) on ${data.description}`);
  say(
    `recipe ${config.recipe}: batch ${config.batchSize}, ${config.iterations.toLocaleString('en-US')} iterations, lr ${describeSchedule(config.schedule, resumeFrom?.meta.schedule)}${config.backboneLrScale !== undefined && config.backboneLrScale !== 1 ? ` (backbone ×${+config.backboneLrScale.toPrecision(6)})` : ''}, momentum ${config.momentum}, weight decay ${config.weightDecay}; run folder ${files.runDir}`,
  );

  // metrics.jsonl lines are appended in order; the run waits for them before it returns.
  let writes: Promise<void> = Promise.resolve();
  const record = (r: object): void => {
    writes = writes.then(() => appendFile(files.metricsPath, `${JSON.stringify(r)}\n`));
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
          line(
            `  ${r.split} at iteration ${r.iteration}: top-1 error ${(r.top1Error * 100).toFixed(2)}%, top-5 error ${(r.top5Error * 100).toFixed(2)}%, loss ${r.loss.toFixed(4)}`,
          );
          record(r);
          if (r.iteration === config.iterations) finalMetrics = { ...finalMetrics, [r.split]: m };
        },
        saveCheckpoint: async (c) => {
          await writeBytesAtomic(files.checkpointPath, await serializeCheckpoint(c));
          lastCheckpoint = c;
          await writeReport(c.meta, c.meta.iteration >= config.iterations ? 'finished' : 'running');
        },
      },
    });
  } catch (e) {
    bar.clear();
    if (e instanceof TrainingDivergedError) {
      const kept = lastCheckpoint
        ? `the last good checkpoint (iteration ${lastCheckpoint.meta.iteration}) is kept in ${files.checkpointPath}`
        : 'no checkpoint had been written yet';
      if (lastCheckpoint) await writeReport(lastCheckpoint.meta, 'diverged', [e.message]);
      throw new TrainingDivergedError(`${e.message}\n${kept}`, e.iteration, e.loss);
    }
    throw e;
  } finally {
    await writes;
  }
  bar.clear();
  if (outcome.status === 'finished') {
    await writeBytesAtomic(files.weightsPath, await exportSafetensors(model));
    await writeReport(lastCheckpoint!.meta, 'finished');
  } else {
    await writeReport(lastCheckpoint!.meta, 'stopped');
  }
  return outcome;
}

/** Trains one run end to end; the building block of `train` and of `experiment degradation`. */
export async function trainRun(options: TrainRunOptions, io: Output): Promise<TrainRunResult> {
  const say = (line: string): void => {
    if (options.progress) io.err(line);
  };
  // An unknown network is said before anything else happens (probing backends prints lines of its own).
  if (options.model !== undefined) resolveSpec(options.model);
  // Core checks what the values mean (momentum below 1, …) before anything is read; its refusal names the flag.
  const { learningRate: _lr, warmup: _warmup, backboneLearningRate: _backbone, ...fields } = options.overrides;
  try {
    checkTrainOverrides(fields);
  } catch (e) {
    throw flagError(e, Object.keys(fields));
  }
  const folder = options.dataset.startsWith('folder:');
  if (options.cropSize !== undefined && !folder)
    throw new UsageError(`--crop-size is for image folders; ${options.dataset} has fixed-size images`);
  const { files, resumeFrom } = await openRunFolder(options.out, options.resume);
  const lock = lockRunFolder(files.runDir, say);
  try {
    return await trainInFolder(options, io, files, resumeFrom, say);
  } finally {
    lock.release();
  }
}

/** trainRun once the run folder is ours (run_lock.ts). */
async function trainInFolder(
  options: TrainRunOptions,
  io: Output,
  files: RunFiles,
  resumeFrom: Checkpoint | undefined,
  say: (line: string) => void,
): Promise<TrainRunResult> {
  const folder = options.dataset.startsWith('folder:');
  // The weights to start from, read before the data: they say how folder images must be normalised.
  const init = options.init !== undefined && !resumeFrom ? await readInit(options.init, options.model, io, say) : undefined;
  const model = options.model ?? resumeFrom?.meta.spec.name ?? init?.model ?? 'resnet20';
  const backend = await startBackend(options.backend, say);
  const normalise = resumeFrom
    ? { ...(resumeFrom.mean ? { mean: resumeFrom.mean } : {}), ...(resumeFrom.std ? { std: resumeFrom.std } : {}) }
    : init && folder
      ? { mean: Float32Array.from(init.read.preprocessing.mean), std: Float32Array.from(init.read.preprocessing.std) }
      : {};
  const source = await findDataset(options.dataset, {
    download: options.download,
    log: say,
    ...normalise,
    ...(options.cropSize !== undefined
      ? { cropSize: options.cropSize }
      : resumeFrom && folder
        ? { cropSize: resumeFrom.meta.spec.inputSize }
        : {}),
    ...(options.syntheticSize ? { syntheticSize: options.syntheticSize } : {}),
  });
  const p = plan(options, model, source, init, resumeFrom);
  if (resumeFrom && resumeFrom.meta.iteration >= p.config.iterations) {
    // Nothing to do, and nothing is written: evaluating again would append a second final evaluation to metrics.jsonl.
    const m = resumeFrom.meta;
    say(
      `the run in ${files.runDir} is already finished (iteration ${m.iteration} of ${m.config.iterations}); nothing was changed. Pass --iterations N (more than ${m.iteration}) to train it further`,
    );
    return {
      outcome: { status: 'finished', iteration: m.iteration, history: m.history, final: {} },
      alreadyFinished: true,
      ...files,
      model: m.spec.name,
      backend,
      config: p.config,
    };
  }
  // A --val-size other than a resumed run's own is refused when the run is restored: its training set differs.
  const data = await source.open(options.overrides.valSize ?? p.config.valSize);
  const training = startTraining(p, data, init, resumeFrom);
  const startedWith = runEnvironment(false).commandLine;
  try {
    await writeRunFiles(
      files,
      resumeFrom ?? {
        model: p.spec,
        config: p.config,
        dataset: options.dataset,
        ...(options.syntheticSize ? { syntheticSize: options.syntheticSize } : {}),
        backend,
        ...(init
          ? { init: { weights: options.init!, file: init.read.file, ...(init.read.entry ? { entry: init.read.entry.name } : {}) } }
          : {}),
        ...(options.cropSize !== undefined ? { cropSize: options.cropSize } : {}),
        ...(startedWith ? { commandLine: startedWith } : {}),
      },
    );
    if (init) say(`initialised from ${init.description}; a new head for ${p.spec.numClasses} classes`);
    const outcome = await train({ options, files, backend, data, training, resumeFrom, say });
    return { outcome, ...files, model: p.spec.name, backend, config: p.config };
  } finally {
    training.dispose();
    training.model.dispose();
  }
}

const summaryOf = (m: ClassificationMetrics): Record<string, number> => ({
  top1Error: m.top1Error,
  top5Error: m.top5Error,
  accuracy: 1 - m.top1Error,
  loss: m.loss,
  count: m.count,
});
const pct = (x: number): string => (x * 100).toFixed(2);
const accuracyLine = (split: string, m: ClassificationMetrics): string =>
  `${split} accuracy: ${pct(1 - m.top1Error)}% (top-1 error ${pct(m.top1Error)}%, top-5 error ${pct(m.top5Error)}%, ${m.count.toLocaleString('en-US')} images)`;

/** Every option `train` takes (its help lists each: tested). */
export const TRAIN_OPTIONS = {
  model: { type: 'string' },
  dataset: { type: 'string', default: 'synthetic' },
  init: { type: 'string' },
  classes: { type: 'string' },
  freeze: { type: 'string' },
  'backbone-lr': { type: 'string' },
  'crop-size': { type: 'string' },
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
} as const;

export async function trainCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: TRAIN_OPTIONS });
  if (positionals.length > 0) throw new UsageError(`train takes options only, got "${positionals.join(' ')}"`);
  backendFlag(values.backend);
  const recipe = choiceFlag('recipe', values.recipe, RECIPE_NAMES);
  const syntheticSize = syntheticSizeFlag(values['synthetic-size']);
  // What momentum and the weight-decay scope may be is core's to say (trainRun names the flag if it refuses them).
  const overrides: TrainRunOptions['overrides'] = Object.fromEntries(
    Object.entries({
      iterations: positiveIntegerFlag('iterations', values.iterations),
      batchSize: positiveIntegerFlag('batch-size', values['batch-size']),
      learningRate: numberFlag('lr', values.lr, { above: 0 }), // the schedule's base: 0 would train nothing
      warmup: values.warmup === 'none' ? 'none' : positiveIntegerFlag('warmup', values.warmup),
      momentum: numberFlag('momentum', values.momentum),
      weightDecay: numberFlag('weight-decay', values['weight-decay']),
      weightDecayScope: values['weight-decay-scope'],
      seed: integerFlag('seed', values.seed),
      valSize: integerFlag('val-size', values['val-size'], 0),
      evalEvery: positiveIntegerFlag('eval-every', values['eval-every']),
      logEvery: positiveIntegerFlag('log-every', values['log-every']),
      checkpointEvery: integerFlag('checkpoint-every', values['checkpoint-every'], 0),
      freeze: values.freeze,
      backboneLearningRate: numberFlag('backbone-lr', values['backbone-lr'], { min: 0 }),
    }).filter(([, v]) => v !== undefined),
  );
  const datasetKind = values.dataset.split(':')[0]!;
  const classes = positiveIntegerFlag('classes', values.classes);
  const cropSize = positiveIntegerFlag('crop-size', values['crop-size']);
  // With --init and no --model the network is the weights' (a catalogue name says it: resnet50.imagenet1k_v2 → resnet50).
  const modelName = values.model ?? (values.init !== undefined ? initModel(values.init) : undefined) ?? 'resnet20';
  const out = values.out ?? path.join('runs', `${modelName}-${datasetKind}`);

  const interrupt = stopOnInterrupt(io);
  let result: TrainRunResult;
  try {
    result = await trainRun(
      {
        ...(values.model !== undefined ? { model: values.model } : {}),
        ...(values.init !== undefined ? { init: values.init } : {}),
        ...(classes !== undefined ? { classes } : {}),
        ...(cropSize !== undefined ? { cropSize } : {}),
        dataset: values.dataset,
        ...(recipe ? { recipe } : {}),
        overrides,
        backend: values.backend,
        out,
        resume: values.resume,
        download: values.download,
        progress: !values.quiet,
        ...(syntheticSize ? { syntheticSize } : {}),
        signal: interrupt.signal,
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
    interrupt.release();
  }
  const { outcome } = result;
  const test = outcome.final.test;
  const val = outcome.final.val;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          status: outcome.status,
          ...(result.alreadyFinished ? { alreadyFinished: true } : {}),
          iteration: outcome.iteration,
          model: result.model,
          backend: result.backend,
          ...(test ? { test: summaryOf(test) } : {}),
          ...(val ? { val: summaryOf(val) } : {}),
          files: {
            checkpoint: result.checkpointPath,
            metrics: result.metricsPath,
            report: result.reportPath,
            curves: result.curvesPath,
            ...(outcome.status === 'finished' ? { weights: result.weightsPath } : {}),
          },
        },
        null,
        2,
      ),
    );
    return outcome.status === 'finished' ? 0 : exitCodeFor(interrupt.received);
  }
  if (outcome.status === 'stopped') {
    io.out(`stopped at iteration ${outcome.iteration}; checkpoint saved to ${result.checkpointPath}`);
    io.out(`continue with: resnet train --model ${result.model} --dataset ${values.dataset} --out ${out} --resume`);
    return exitCodeFor(interrupt.received);
  }
  if (result.alreadyFinished) {
    io.out(`${result.runDir} is already finished at iteration ${outcome.iteration}; nothing was changed`);
    return 0;
  }
  const last = outcome.history.log[outcome.history.log.length - 1];
  const lines = [
    `trained ${result.model} for ${outcome.iteration.toLocaleString('en-US')} iterations in ${formatDuration(last?.elapsed ?? 0)} on ${result.backend}`,
    ...(val ? [accuracyLine('validation', val)] : []),
    ...(test ? [accuracyLine('test', test)] : []),
    `report:     ${result.reportPath}`,
    `curves:     ${result.curvesPath}`,
    `metrics:    ${result.metricsPath}`,
    `checkpoint: ${result.checkpointPath}`,
    `weights:    ${result.weightsPath} (PyTorch layout: for resnet infer, resnet train --init, or PyTorch; eval and predict take --run ${out})`,
  ];
  io.out(lines.join('\n'));
  return 0;
}
