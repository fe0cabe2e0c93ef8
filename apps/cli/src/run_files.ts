/** A trained model back from a run folder or a checkpoint file: weights, spec, classes and data mean. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet, parseCheckpoint, type CheckpointMeta } from '@resnet/core';
import { readBytes } from '@resnet/node-io';
import { UsageError } from './errors.js';

export interface LoadedRun {
  readonly model: ResNet;
  readonly meta: CheckpointMeta;
  readonly mean: Float32Array | undefined;
  readonly classNames: readonly string[];
  readonly file: string;
  /** What `resnet train` recorded in the run folder's config.json: the --dataset it was given. */
  readonly dataset?: { readonly spec: string; readonly syntheticSize?: { train: number; test: number } };
}

/** `target` is a run folder (holding checkpoint.safetensors) or a checkpoint file. */
export async function loadRun(target: string): Promise<LoadedRun> {
  let file = path.resolve(target);
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'checkpoint.safetensors');
  if (!existsSync(file)) throw new UsageError(`no checkpoint at ${file} (pass a run folder made by resnet train, or its checkpoint.safetensors)`);
  const c = await parseCheckpoint(await readBytes(file), file);
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
  const config = path.join(path.dirname(file), 'config.json');
  if (existsSync(config)) {
    const j = JSON.parse(readFileSync(config, 'utf8')) as { dataset?: string; syntheticSize?: { train: number; test: number } };
    if (typeof j.dataset === 'string') dataset = { spec: j.dataset, ...(j.syntheticSize ? { syntheticSize: j.syntheticSize } : {}) };
  }
  return { model, meta: c.meta, mean: c.mean, classNames: c.meta.dataset.classNames, file, ...(dataset ? { dataset } : {}) };
}
