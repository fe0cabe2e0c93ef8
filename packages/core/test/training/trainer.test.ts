// The training loop on the cpu reference backend, with a tiny ResNet on tiny images: memory,
// divergence, determinism, and exact resumption from a checkpoint.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import {
  ArrayDataset,
  SGD,
  Training,
  TrainingDivergedError,
  createModel,
  evaluate,
  evaluateMultiScale,
  parseCheckpoint,
  resolveRecipe,
  serializeCheckpoint,
  trainStep,
  trainableParams,
  type Checkpoint,
  type Dataset,
  type ImageBatch,
  type LogRecord,
  type TrainConfig,
} from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';
import { useCpu } from '../helpers/cpu.js';
import { TINY_CLASSES, TINY_SIZE, tinyData } from '../helpers/tiny_data.js';

beforeAll(useCpu);

const SIZE = TINY_SIZE;
const CLASSES = TINY_CLASSES;

const names = ['left', 'middle', 'right'];
const train = new ArrayDataset('tiny/train', tinyData(), names, { pad: 1, flip: false });
const test_ = new ArrayDataset('tiny/test', tinyData(24, 2), names);

const tinyModel = (seed = 3) => createModel('resnet8', { widths: [4, 4, 8], stemWidth: 4, inputSize: SIZE, numClasses: CLASSES, seed });

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveRecipe('synthetic', undefined, {
    batchSize: 8,
    iterations: 8,
    schedule: { base: 0.05, decay: { kind: 'step', milestones: [5], factor: 0.1 } },
    logEvery: 2, // odd stops leave an unfinished interval in the checkpoint
    evalEvery: 4,
    checkpointEvery: 3,
    evalBatchSize: 10,
    seed: 11,
    ...overrides,
  });
}

async function firstBatch(ds: Dataset, n = 8): Promise<ImageBatch> {
  return ds.batch(
    Int32Array.from({ length: n }, (_, i) => i),
    new Rng(0),
  );
}

test('a training step returns the tensor count to where it was, and learns', async () => {
  const model = tinyModel();
  const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.05 });
  const batch = await firstBatch(train);
  const before = tf.memory().numTensors;
  const first = await trainStep(model, sgd, batch, 0.05);
  expect(tf.memory().numTensors).toBe(before);
  let last = first;
  for (let i = 0; i < 15; i++) last = await trainStep(model, sgd, batch, 0.05);
  expect(tf.memory().numTensors).toBe(before);
  expect(last.loss).toBeLessThan(first.loss * 0.5); // one batch, fitted
  expect(first.error).toBeGreaterThanOrEqual(0);
  expect(first.error).toBeLessThanOrEqual(1);
  sgd.dispose();
  model.dispose();
});

test('a non-finite loss stops with a clear error and leaves the weights as they were', async () => {
  const model = tinyModel();
  const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.05 });
  const good = await firstBatch(train);
  const images = good.images.slice();
  images[5] = NaN;
  const before = await model.variables.get('conv1.weight')!.data();
  const count = tf.memory().numTensors;
  const error = await trainStep(model, sgd, { ...good, images }, 0.05, 41).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TrainingDivergedError);
  expect((error as Error).message).toMatch(/the loss is NaN at iteration 42 \(learning rate 0.05\); training diverged/);
  expect(await model.variables.get('conv1.weight')!.data()).toEqual(before);
  expect(tf.memory().numTensors).toBe(count);
  sgd.dispose();
  model.dispose();
});

async function runAll(
  stopAt?: number,
  resumeFrom?: Checkpoint,
  seed = 3,
): Promise<{ logs: LogRecord[]; checkpoints: Checkpoint[]; outcome: Awaited<ReturnType<Training['run']>>; weights: Float32Array }> {
  const model = tinyModel(seed);
  const run = new Training(model, { train, test: test_ }, config());
  if (resumeFrom) run.restore(resumeFrom);
  const logs: LogRecord[] = [];
  const checkpoints: Checkpoint[] = [];
  const outcome = await run.run({
    ...(stopAt ? { stopAt } : {}),
    events: { onLog: (r) => logs.push(r), saveCheckpoint: async (c) => void checkpoints.push(c) },
  });
  const weights = (await model.variables.get('layer3.0.conv2.weight')!.data()) as Float32Array;
  run.dispose();
  model.dispose();
  return { logs, checkpoints, outcome, weights };
}

test('the same seed gives the same losses; a resumed run continues exactly', async () => {
  const count = tf.memory().numTensors;
  const full = await runAll();
  expect(full.outcome.status).toBe('finished');
  expect(full.logs.map((l) => l.iteration)).toEqual([2, 4, 6, 8]);
  expect(full.checkpoints.map((c) => c.meta.iteration)).toEqual([3, 6, 8]); // every 3, and at the end
  expect(full.outcome.final.test?.count).toBe(24);
  expect(full.outcome.history.eval.map((e) => `${e.split}@${e.iteration}`)).toEqual(['test@4', 'test@8']);
  expect(tf.memory().numTensors).toBe(count); // nothing leaks across a whole run

  const again = await runAll();
  expect(again.logs.map((l) => l.loss)).toEqual(full.logs.map((l) => l.loss));

  // Stop after 5 (a checkpoint at 5), serialise it, resume into a differently initialised model.
  const first = await runAll(5);
  expect(first.outcome.status).toBe('stopped');
  const saved = first.checkpoints[first.checkpoints.length - 1]!;
  expect(saved.meta.iteration).toBe(5);
  expect(saved.meta.position).toEqual({ epoch: 0, batch: 5 });
  const bytes = await serializeCheckpoint(saved);
  const resumed = await runAll(undefined, await parseCheckpoint(bytes), 99);
  expect(resumed.outcome.history.log.map((l) => l.loss)).toEqual(full.logs.map((l) => l.loss));
  expect(resumed.logs.map((l) => l.iteration)).toEqual([6, 8]);
  expect(resumed.logs.map((l) => l.trainError)).toEqual(full.logs.slice(2).map((l) => l.trainError));
  expect(resumed.outcome.history.eval).toEqual(full.outcome.history.eval);
  expect(resumed.weights).toEqual(full.weights);
}, 120_000);

test('an aborted run stops before the next iteration with a checkpoint', async () => {
  const model = tinyModel();
  const run = new Training(model, { train }, config());
  const controller = new AbortController();
  const saved: number[] = [];
  const outcome = await run.run({
    signal: controller.signal,
    events: {
      onStep: (s) => s.iteration === 2 && controller.abort(),
      saveCheckpoint: async (c) => void saved.push(c.meta.iteration),
    },
  });
  expect(outcome.status).toBe('stopped');
  expect(outcome.iteration).toBe(2);
  expect(saved).toEqual([2]);
  run.dispose();
  model.dispose();
});

test('a checkpoint of another model, other data, another recipe, or damaged bytes is refused', async () => {
  const { checkpoints } = await runAll(2);
  const c = checkpoints[0]!;
  const bytes = await serializeCheckpoint(c);

  const other = createModel('resnet8', { widths: [4, 4, 4], stemWidth: 4, inputSize: SIZE, numClasses: CLASSES });
  expect(() => new Training(other, { train }, config()).restore(c)).toThrow(/cannot resume: it is for resnet8 .* this run trains resnet8/);
  const model = tinyModel();
  const before = await model.variables.get('conv1.weight')!.data();
  const otherData = new ArrayDataset('tiny/other', tinyData(40), names);
  expect(() => new Training(model, { train: otherData }, config()).restore(c)).toThrow(
    /trained on tiny\/train \(48 examples\), this run uses tiny\/other \(40 examples\)/,
  );
  expect(() => new Training(model, { train }, config({ seed: 12 })).restore(c)).toThrow(/its seed is 11, this run's is 12/);
  expect(await model.variables.get('conv1.weight')!.data()).toEqual(before); // nothing changed
  // Longer training is allowed.
  expect(() => new Training(model, { train }, config({ iterations: 20 })).restore(c)).not.toThrow();

  const flipped = bytes.slice();
  flipped[flipped.length - 3]! ^= 0x40;
  await expect(parseCheckpoint(flipped, 'run/checkpoint.safetensors')).rejects.toThrow(
    /run\/checkpoint.safetensors is damaged or not a checkpoint: its tensors' SHA-256 is [0-9a-f]{64}, the checkpoint recorded/,
  );
  await expect(parseCheckpoint(bytes.slice(0, bytes.length - 10), 'ck')).rejects.toThrow(/ck is damaged or not a checkpoint/);
  await expect(parseCheckpoint(new Uint8Array(3), 'ck')).rejects.toThrow(/ck is damaged or not a checkpoint/);
  model.dispose();
  other.dispose();
}, 60_000);

test('evaluation averages the softmax over views', async () => {
  const model = tinyModel();
  const views: Dataset = {
    name: 'two-views',
    size: 4,
    classNames: names,
    imageShape: [SIZE, SIZE, 3],
    async batch(indices) {
      const one = await test_.batch(indices);
      // Each example twice: the image and the image of the next example.
      const px = SIZE * SIZE * 3;
      const images = new Float32Array(one.size * 2 * px);
      for (let k = 0; k < one.size; k++) {
        images.set(one.images.subarray(k * px, (k + 1) * px), 2 * k * px);
        images.set((await test_.batch([(one.indices[k]! + 1) % 24])).images, (2 * k + 1) * px);
      }
      return { ...one, images, views: 2 };
    },
  };
  const avg = await evaluate(model, views, { batchSize: 3 });
  // By hand: the mean of the two images' softmax for each example.
  const probs = tf.tidy(() =>
    tf.softmax(model.predict(tf.tensor4d((test_ as ArrayDataset).batchSync([0, 1, 2, 3, 4]).images, [5, SIZE, SIZE, 3]))).arraySync(),
  ) as number[][];
  let loss = 0;
  for (let i = 0; i < 4; i++) loss -= Math.log((probs[i]![i % 3]! + probs[i + 1]![i % 3]!) / 2);
  expect(avg.count).toBe(4);
  expect(avg.loss).toBeCloseTo(loss / 4, 5);
  model.dispose();
});

test('multi-scale testing averages the softmax over the scales, example by example', async () => {
  const model = tinyModel();
  // Two "scales" of the same 6 examples: the images themselves, and shifted by one example.
  const shifted: Dataset = {
    name: 'shifted',
    size: 6,
    classNames: names,
    imageShape: [SIZE, SIZE, 3],
    async batch(indices) {
      const b = await test_.batch(Array.from(indices, (i) => (i + 1) % 24));
      return { ...b, labels: (await test_.batch(indices)).labels, indices: Int32Array.from(indices) };
    },
  };
  const plain: Dataset = { ...shifted, name: 'plain', batch: (indices) => test_.batch(indices) };
  const both = await evaluateMultiScale(model, [plain, shifted], { batchSize: 4 });
  const probs = tf.tidy(() =>
    tf.softmax(model.predict(tf.tensor4d((test_ as ArrayDataset).batchSync([0, 1, 2, 3, 4, 5, 6]).images, [7, SIZE, SIZE, 3]))).arraySync(),
  ) as number[][];
  let loss = 0;
  for (let i = 0; i < 6; i++) loss -= Math.log((probs[i]![i % 3]! + probs[i + 1]![i % 3]!) / 2);
  expect(both.count).toBe(6);
  expect(both.loss).toBeCloseTo(loss / 6, 5);
  const other: Dataset = { ...plain, size: 5 };
  await expect(evaluateMultiScale(model, [plain, other])).rejects.toThrow(/must hold the same examples; plain has 5, plain has 6/);
  model.dispose();
});
