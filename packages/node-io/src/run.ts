/**
 * A trained run back from disk: a run folder as `resnet train` writes it (checkpoint.safetensors,
 * config.json, …) or a checkpoint file, as a ResNet with its weights, the class names and the
 * normalisation its data had. What `resnet eval` and `resnet predict --run` use, for code.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet, parseCheckpoint, type CheckpointMeta } from '@resnet/core';
import { FileIOError, readBytes, systemError } from './files.js';

/** The checkpoint in a run folder of `resnet train`. */
export const RUN_CHECKPOINT_FILE = 'checkpoint.safetensors';
/** What `resnet train` was run with, beside the checkpoint: the model, the recipe and the `--dataset` given. */
export const RUN_CONFIG_FILE = 'config.json';

export interface LoadedRun {
  /** The trained network (BN running statistics included), on the current tfjs backend. Dispose it when done. */
  readonly model: ResNet;
  /** The checkpoint's metadata: spec, training configuration, iteration, history, data set. */
  readonly meta: CheckpointMeta;
  /** The mean the data was normalised with: per pixel (the paper's CIFAR and folder runs) or per channel (3 values). */
  readonly mean: Float32Array | undefined;
  /** The per-channel standard deviation it was divided by (runs fine-tuned from pretrained weights). */
  readonly std: Float32Array | undefined;
  /** Class names, index = the model's output. */
  readonly classNames: readonly string[];
  /** The checkpoint file read (absolute). */
  readonly file: string;
  /** What `resnet train` recorded in the run folder's config.json, when there is one: the --dataset it was given. */
  readonly dataset?: { readonly spec: string; readonly syntheticSize?: { train: number; test: number } };
}

async function kindOf(path: string): Promise<'dir' | 'file' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw systemError('read', path, error);
  }
}

async function readConfig(file: string): Promise<LoadedRun['dataset']> {
  if ((await kindOf(file)) === undefined) return undefined;
  const text = new TextDecoder().decode(await readBytes(file));
  const hint = 'it should hold what resnet train recorded for the run';
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (error) {
    throw new FileIOError(`node-io: ${file} is not valid JSON (${(error as Error).message}); ${hint}`, { cause: error });
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j))
    throw new FileIOError(`node-io: ${file} holds ${Array.isArray(j) ? 'an array' : JSON.stringify(j)}, not a JSON object; ${hint}`);
  const { dataset, syntheticSize } = j as { dataset?: unknown; syntheticSize?: { train: number; test: number } };
  return typeof dataset === 'string' ? { spec: dataset, ...(syntheticSize ? { syntheticSize } : {}) } : undefined;
}

/**
 * Loads a trained run: `target` is a run folder made by `resnet train` (holding
 * checkpoint.safetensors) or a checkpoint file. The model is built from the checkpoint's spec with
 * its weights and BN statistics; the checkpoint is verified (its SHA-256, its metadata's fields), and
 * a damaged one is refused, naming the file. Needs a tfjs backend (`await tf.setBackend(…)`) first.
 *
 * @example
 * ```ts
 * const run = await loadRun('runs/resnet20-cifar10');
 * const x = await loadImageForModel('cat.png', { size: run.model.spec.inputSize, mean: run.mean });
 * const logits = run.model.predict(tf.tensor4d(x, [1, 32, 32, 3]));
 * ```
 */
export async function loadRun(target: string): Promise<LoadedRun> {
  if (typeof target !== 'string' || target.length === 0)
    throw new FileIOError(`node-io: loadRun: expected a run folder or a checkpoint file, got ${JSON.stringify(target)}`);
  let file = resolve(target);
  if ((await kindOf(file)) === 'dir') file = join(file, RUN_CHECKPOINT_FILE);
  if ((await kindOf(file)) !== 'file') {
    throw new FileIOError(
      `node-io: no checkpoint at ${file} (expected a run folder made by resnet train, holding ${RUN_CHECKPOINT_FILE}, or the checkpoint file itself)`,
      { code: 'ENOENT' },
    );
  }
  const c = await parseCheckpoint(await readBytes(file), file);
  const dataset = await readConfig(join(dirname(file), RUN_CONFIG_FILE));
  const model = new ResNet(c.meta.spec, { bnMomentum: c.meta.bnMomentum, bnEpsilon: c.meta.bnEpsilon });
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of c.weights) tensors.set(name, tf.tensor(t.data, t.shape));
    model.setWeights(tensors);
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose([...tensors.values()]);
  }
  model.numBatchesTracked = c.meta.numBatchesTracked;
  return { model, meta: c.meta, mean: c.mean, std: c.std, classNames: c.meta.dataset.classNames, file, ...(dataset ? { dataset } : {}) };
}
