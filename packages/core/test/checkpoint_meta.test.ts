// parseCheckpoint refuses a checkpoint whose metadata lacks a field every reader needs (issue #15):
// checkpoints made by a real run, their JSON metadata rewritten (the SHA-256 covers the tensors only,
// so it still matches), give an error naming the file and the field instead of a TypeError later.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Training,
  createModel,
  parseCheckpoint,
  resolveRecipe,
  serializeCheckpoint,
  syntheticDatasets,
  type Checkpoint,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

let checkpoint: Checkpoint;

beforeAll(async () => {
  await useCpu();
  const { train, test, mean } = syntheticDatasets({ trainSize: 16, testSize: 8 });
  const model = createModel('resnet8', { seed: 1 });
  const training = new Training(model, { train, test, mean }, resolveRecipe('synthetic', model.spec, { iterations: 1, batchSize: 8 }));
  checkpoint = await training.checkpoint();
  training.dispose();
  model.dispose();
});

/** The checkpoint with its metadata replaced by `meta`. */
const rewritten = (meta: Record<string, unknown>): Promise<Uint8Array> =>
  serializeCheckpoint({ ...checkpoint, meta: meta as unknown as Checkpoint['meta'] });

describe('parseCheckpoint: the metadata fields', () => {
  test('a real checkpoint parses', async () => {
    const back = await parseCheckpoint(await serializeCheckpoint(checkpoint), 'run/checkpoint.safetensors');
    expect(back.meta.spec).toEqual(checkpoint.meta.spec);
  });

  test.each(['spec', 'config', 'iteration', 'dataset'])('no "%s": refused, naming the file and the field', async (field) => {
    const { [field]: _gone, ...meta } = checkpoint.meta as unknown as Record<string, unknown>;
    await expect(parseCheckpoint(await rewritten(meta), 'run/checkpoint.safetensors')).rejects.toThrow(
      `checkpoint: run/checkpoint.safetensors is damaged or not a checkpoint: its metadata has no "${field}"`,
    );
  });

  test('a field of the wrong kind is named with what was expected', async () => {
    const meta = checkpoint.meta as unknown as Record<string, unknown>;
    await expect(parseCheckpoint(await rewritten({ ...meta, spec: 'resnet8' }), 'ck')).rejects.toThrow(
      `checkpoint: ck is damaged or not a checkpoint: its metadata's "spec" is "resnet8", expected an object (the network's spec)`,
    );
    await expect(parseCheckpoint(await rewritten({ ...meta, iteration: -1 }), 'ck')).rejects.toThrow(
      `its metadata's "iteration" is -1, expected a whole number ≥ 0`,
    );
    await expect(parseCheckpoint(await rewritten({ ...meta, dataset: { name: 'x', size: 1 } }), 'ck')).rejects.toThrow(
      `its metadata's "dataset" is {"name":"x","size":1}, expected an object with the class names ({name, size, classNames})`,
    );
  });
});
