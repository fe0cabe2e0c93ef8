/**
 * A run folder, as `resnet train` lays it out and every command reads it: checkpoint.safetensors,
 * metrics.jsonl, report.html, curves.svg, weights.safetensors and config.json (what it was run with);
 * and a trained model back from a run folder or a checkpoint file: weights, spec, classes and data mean.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet, parseCheckpoint, type Checkpoint, type CheckpointMeta, type ResNetSpec, type TrainConfig } from '@resnet/core';
import { readBytes, writeBytesAtomic } from '@resnet/node-io';
import { UsageError } from './errors.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const CONFIG_FILE = 'config.json';

export interface RunFiles {
  readonly runDir: string;
  readonly checkpointPath: string;
  readonly metricsPath: string;
  readonly reportPath: string;
  readonly curvesPath: string;
  readonly weightsPath: string;
}

/** What config.json records: enough for `eval` to reopen the same data. */
export interface RunRecord {
  readonly model: ResNetSpec;
  readonly config: TrainConfig;
  readonly dataset: string;
  readonly syntheticSize?: { train: number; test: number };
  readonly backend: string;
  /** The weights the run started from (`--init`), and the image side of a folder (`--crop-size`). */
  readonly init?: { readonly weights: string; readonly file: string; readonly entry?: string };
  readonly cropSize?: number;
}

async function readCheckpoint(file: string): Promise<Checkpoint> {
  return parseCheckpoint(await readBytes(file), file);
}

/** The run folder's files, and its checkpoint when resuming: a run is never overwritten, and a damaged checkpoint stops us before any work. */
export async function openRunFolder(out: string, resume: boolean): Promise<{ files: RunFiles; resumeFrom?: Checkpoint }> {
  const runDir = path.resolve(out);
  const at = (file: string): string => path.join(runDir, file);
  const files = {
    runDir,
    checkpointPath: at(CHECKPOINT_FILE),
    metricsPath: at('metrics.jsonl'),
    reportPath: at('report.html'),
    curvesPath: at('curves.svg'),
    weightsPath: at('weights.safetensors'),
  };
  const exists = existsSync(files.checkpointPath);
  if (exists !== resume) {
    if (resume) throw new UsageError(`--resume: there is no checkpoint in ${runDir} (expected ${CHECKPOINT_FILE})`);
    const meta = (await readCheckpoint(files.checkpointPath)).meta;
    throw new UsageError(
      `${runDir} already holds a run (${meta.spec.name}, iteration ${meta.iteration} of ${meta.config.iterations}); pass --resume to continue it, or choose another --out`,
    );
  }
  return { files, ...(exists ? { resumeFrom: await readCheckpoint(files.checkpointPath) } : {}) };
}

/** A new run's empty metrics.jsonl and its config.json; or, resuming, metrics.jsonl rebuilt from what the checkpoint knows (lines written after it would repeat). */
export async function writeRunFiles(files: RunFiles, run: RunRecord | Checkpoint): Promise<void> {
  mkdirSync(files.runDir, { recursive: true });
  if ('meta' in run) {
    const h = run.meta.history;
    const lines = [...h.log, ...h.eval]
      .sort((a, b) => a.iteration - b.iteration || (a.type === 'log' ? -1 : 1))
      .map((r) => JSON.stringify(r));
    await writeBytesAtomic(files.metricsPath, new TextEncoder().encode(lines.length ? `${lines.join('\n')}\n` : ''));
    return;
  }
  await writeBytesAtomic(files.metricsPath, new Uint8Array());
  await writeBytesAtomic(path.join(files.runDir, CONFIG_FILE), new TextEncoder().encode(`${JSON.stringify(run, null, 2)}\n`));
}

export interface LoadedRun {
  readonly model: ResNet;
  readonly meta: CheckpointMeta;
  readonly mean: Float32Array | undefined;
  /** The per-channel standard deviation its data was divided by (runs fine-tuned from pretrained weights). */
  readonly std: Float32Array | undefined;
  readonly classNames: readonly string[];
  readonly file: string;
  /** What `resnet train` recorded in the run folder's config.json: the --dataset it was given. */
  readonly dataset?: { readonly spec: string; readonly syntheticSize?: { train: number; test: number } };
}

/** `target` is a run folder (holding checkpoint.safetensors) or a checkpoint file. */
export async function loadRun(target: string): Promise<LoadedRun> {
  let file = path.resolve(target);
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, CHECKPOINT_FILE);
  if (!existsSync(file))
    throw new UsageError(`no checkpoint at ${file} (pass a run folder made by resnet train, or its checkpoint.safetensors)`);
  const c = await readCheckpoint(file);
  const model = new ResNet(c.meta.spec, { bnMomentum: c.meta.bnMomentum, bnEpsilon: c.meta.bnEpsilon });
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of c.weights) tensors.set(name, tf.tensor(t.data, t.shape));
    model.setWeights(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
  model.numBatchesTracked = c.meta.numBatchesTracked;
  let dataset: LoadedRun['dataset'];
  const config = path.join(path.dirname(file), CONFIG_FILE);
  if (existsSync(config)) {
    const j = JSON.parse(readFileSync(config, 'utf8')) as { dataset?: string; syntheticSize?: { train: number; test: number } };
    if (typeof j.dataset === 'string') dataset = { spec: j.dataset, ...(j.syntheticSize ? { syntheticSize: j.syntheticSize } : {}) };
  }
  return { model, meta: c.meta, mean: c.mean, std: c.std, classNames: c.meta.dataset.classNames, file, ...(dataset ? { dataset } : {}) };
}
