// The training loop on onednn: a whole run leaks nothing, the same seed gives the same losses, and a
// run stopped, checkpointed (serialised) and resumed continues exactly as the uninterrupted one.
import * as tf from '@tensorflow/tfjs-core';
import {
  ArrayDataset,
  Training,
  createModel,
  parseCheckpoint,
  resolveRecipe,
  serializeCheckpoint,
  type Checkpoint,
  type ImageArray,
  type LogRecord,
} from '@resnet/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { skipReason } from './helpers.js';
import { onednnProvider } from '../src/index.js';

const SIZE = 16;

function data(count: number, seed: number): ImageArray {
  const images = new Uint8Array(count * SIZE * SIZE * 3);
  const labels = new Int32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < SIZE * SIZE * 3; p++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const x = Math.floor(p / 3) % SIZE;
      images[i * SIZE * SIZE * 3 + p] = ((s >>> 24) % 100) + (Math.floor((x * 3) / SIZE) === labels[i] ? 120 : 0);
    }
  }
  return { images, labels, count, height: SIZE, width: SIZE, channels: 3 };
}

const names = ['left', 'middle', 'right'];
const train = new ArrayDataset('tiny/train', data(96, 1), names, { pad: 2, flip: true });
const testSet = new ArrayDataset('tiny/test', data(30, 2), names);

async function runAll(
  stopAt?: number,
  resumeFrom?: Checkpoint,
  seed = 3,
): Promise<{ logs: LogRecord[]; checkpoints: Checkpoint[]; status: string; weights: Float32Array }> {
  const model = createModel('resnet8', { widths: [8, 16, 32], stemWidth: 8, inputSize: SIZE, numClasses: 3, seed });
  const config = resolveRecipe('synthetic', undefined, {
    batchSize: 16,
    iterations: 10,
    schedule: { base: 0.05, decay: { kind: 'step', milestones: [6], factor: 0.1 } },
    logEvery: 2,
    evalEvery: 5,
    checkpointEvery: 3,
    evalBatchSize: 10,
    seed: 11,
  });
  const run = new Training(model, { train, test: testSet }, config);
  if (resumeFrom) run.restore(resumeFrom);
  const logs: LogRecord[] = [];
  const checkpoints: Checkpoint[] = [];
  const outcome = await run.run({
    ...(stopAt ? { stopAt } : {}),
    events: { onLog: (r) => logs.push(r), saveCheckpoint: async (c) => void checkpoints.push(c) },
  });
  const weights = Float32Array.from(await model.variables.get('layer3.0.conv2.weight')!.data());
  run.dispose();
  model.dispose();
  return { logs, checkpoints, status: outcome.status, weights };
}

describe.skipIf(skipReason !== undefined)('Training on onednn', () => {
  beforeAll(async () => {
    await onednnProvider.activate();
  });

  test('nothing leaks across a run; the same seed repeats; a resumed run continues exactly', async () => {
    const count = tf.memory().numTensors;
    const full = await runAll();
    expect(full.status).toBe('finished');
    expect(tf.memory().numTensors).toBe(count);
    const again = await runAll();
    expect(again.logs.map((l) => l.loss)).toEqual(full.logs.map((l) => l.loss));

    const first = await runAll(5);
    expect(first.status).toBe('stopped');
    const saved = first.checkpoints[first.checkpoints.length - 1]!;
    expect(saved.meta.iteration).toBe(5);
    const resumed = await runAll(undefined, await parseCheckpoint(await serializeCheckpoint(saved)), 99);
    expect(resumed.logs.map((l) => l.iteration)).toEqual([6, 8, 10]);
    expect(resumed.logs.map((l) => l.loss)).toEqual(full.logs.slice(2).map((l) => l.loss));
    expect(resumed.weights).toEqual(full.weights);
    expect(tf.memory().numTensors).toBe(count);
  }, 120_000);
});
