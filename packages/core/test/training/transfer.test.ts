// Transfer learning on the cpu reference backend: freezing stages (weights and BN running
// statistics untouched, BN in inference mode), the backbone's own learning rate, the cosine
// schedule and the finetune recipe, and exact resumption of a fine-tuning run.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import {
  ArrayDataset,
  LearningRateSchedule,
  SGD,
  Training,
  createModel,
  describeSchedule,
  exportStateDict,
  importStateDict,
  parseCheckpoint,
  planRun,
  resolveRecipe,
  scheduleSteps,
  serializeCheckpoint,
  stageNames,
  trainStep,
  trainableParams,
  type Checkpoint,
  type ResNet,
  type TrainConfig,
} from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';
import { useCpu } from '../helpers/cpu.js';
import { TINY_CLASSES, TINY_SIZE, tinyData } from '../helpers/tiny_data.js';

beforeAll(useCpu);

const SIZE = TINY_SIZE;
const CLASSES = TINY_CLASSES;

const names = ['left', 'middle', 'right'];
const train = new ArrayDataset('tiny/train', tinyData(48, 1), names, { pad: 1, flip: false });
const test_ = new ArrayDataset('tiny/test', tinyData(24, 2), names);

const tinyModel = (seed = 3, numClasses = CLASSES): ResNet =>
  createModel('resnet8', { widths: [4, 4, 8], stemWidth: 4, inputSize: SIZE, numClasses, seed });

async function values(model: ResNet): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.variables) out.set(name, (await v.data()) as Float32Array);
  return out;
}

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveRecipe('finetune', undefined, {
    batchSize: 8,
    iterations: 8,
    schedule: { base: 0.05, decay: { kind: 'cosine', length: 8 } },
    logEvery: 2,
    evalEvery: 4,
    checkpointEvery: 3,
    evalBatchSize: 12,
    seed: 5,
    ...overrides,
  });
}

test("the stages a freeze can name are the paper's, and anything else is refused naming them", () => {
  const model = tinyModel();
  expect(stageNames(model.plan)).toEqual(['conv1', 'conv2_x', 'conv3_x', 'conv4_x']);
  expect(() => model.freeze('layer2')).toThrow(
    'resnet: cannot freeze up to "layer2" in resnet8: expected none, backbone or a stage of it (conv1, conv2_x, conv3_x, conv4_x)',
  );
  expect(() => model.freeze('fc')).toThrow(/cannot freeze up to "fc"/);
  const all = model.trainableVariables().length;
  model.freeze('conv3_x');
  expect(model.frozen).toBe('conv3_x');
  const trainable = [...model.variables].filter(([, v]) => v.trainable).map(([n]) => n);
  expect(trainable.every((n) => n.startsWith('layer3.') || n.startsWith('linear.'))).toBe(true);
  expect(trainable).toContain('linear.weight');
  model.freeze('backbone');
  expect(model.frozen).toBe('conv4_x');
  expect([...model.variables].filter(([, v]) => v.trainable).map(([n]) => n)).toEqual(['linear.weight', 'linear.bias']);
  model.freeze('none');
  expect(model.trainableVariables()).toHaveLength(all);
  model.dispose();
});

test("a frozen backbone trains in inference mode: the training pass gives predict's logits and touches no running statistic", async () => {
  const model = tinyModel();
  const x = tf.randomNormal([4, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  // Running statistics that are not the initial 0/1, so inference mode is told apart from training mode.
  const warm = model.apply(x, { training: true });
  warm.dispose();
  model.freeze('backbone');
  const before = await values(model);
  const inference = model.predict(x);
  const training = model.apply(x, { training: true });
  expect(await training.data()).toEqual(await inference.data());
  const after = await values(model);
  for (const [name, v] of before) if (name.includes('running')) expect(after.get(name), name).toEqual(v);
  tf.dispose([x, inference, training]);
  model.dispose();
});

test('fine-tuning with frozen stages: frozen weights and running statistics byte-identical, the rest trained, memory flat', async () => {
  const model = tinyModel();
  const run = new Training(model, { train, test: test_ }, config({ freeze: 'conv3_x' }));
  const before = await values(model);
  const count = tf.memory().numTensors;
  const outcome = await run.run();
  expect(outcome.status).toBe('finished');
  expect(tf.memory().numTensors).toBe(count);
  const after = await values(model);
  const frozen = [...before.keys()].filter((n) => n.startsWith('conv1.') || n.startsWith('bn1.') || /^layer[12]\./.test(n));
  expect(frozen.length).toBe(5 + 2 * 2 * 5); // the stem's conv + BN (5 tensors); per stage, 1 block × 2 convs × 5
  for (const name of frozen) expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), name).toBe(true);
  for (const name of ['layer3.0.conv1.weight', 'layer3.0.bn1.running_mean', 'linear.weight', 'linear.bias'])
    expect(after.get(name), name).not.toEqual(before.get(name));
  // Only what trains has momentum buffers.
  expect([...run.optimizer.velocities.keys()].every((n) => n.startsWith('layer3.') || n.startsWith('linear.'))).toBe(true);
  run.dispose();
  model.dispose();
});

test('from saved weights under a new head, a linear probe learns the task above chance', async () => {
  // "Pretrained" weights: a model trained on the task with 3 outputs, saved as a PyTorch-layout state dict.
  const source = tinyModel(3);
  const pre = new Training(source, { train }, config({ iterations: 60, schedule: { base: 0.05, decay: { kind: 'cosine', length: 60 } } }));
  await pre.run();
  pre.dispose();
  const saved = new Map(
    (await exportStateDict(source)).filter((e) => e.dtype === 'F32').map((e) => [e.name, { shape: e.shape, data: e.data as Float32Array }]),
  );
  const trained = await values(source);
  source.dispose();

  const model = tinyModel(9);
  importStateDict(model, saved, { head: 'keep' });
  const fresh = tinyModel(9);
  // The backbone is the saved one; the head is the new model's own initialisation.
  expect(await model.variables.get('linear.weight')!.data()).toEqual(await fresh.variables.get('linear.weight')!.data());
  expect(await model.variables.get('layer3.0.conv2.weight')!.data()).toEqual(trained.get('layer3.0.conv2.weight'));
  fresh.dispose();
  const run = new Training(
    model,
    { train, test: test_ },
    config({ freeze: 'backbone', iterations: 40, schedule: { base: 0.1, decay: { kind: 'cosine', length: 40 } } }),
  );
  const outcome = await run.run();
  expect(1 - outcome.final.test!.top1Error).toBeGreaterThan(1 / CLASSES + 0.25);
  run.dispose();
  model.dispose();
});

test('resuming a fine-tuning run mid-way gives exactly the uninterrupted result', async () => {
  const go = async (stopAt?: number, from?: Checkpoint): Promise<{ weights: Map<string, Float32Array>; last?: Checkpoint }> => {
    const model = tinyModel(4);
    const run = new Training(
      model,
      { train, test: test_, mean: new Float32Array([0.4, 0.5, 0.6]), std: new Float32Array([0.2, 0.3, 0.4]) },
      config({ freeze: 'conv2_x', backboneLrScale: 0.3 }),
    );
    if (from) run.restore(from);
    let last: Checkpoint | undefined;
    await run.run({ ...(stopAt ? { stopAt } : {}), events: { saveCheckpoint: async (c) => void (last = c) } });
    const weights = await values(model);
    run.dispose();
    model.dispose();
    return { weights, ...(last ? { last } : {}) };
  };
  const full = await go();
  const half = await go(5);
  const restored = await parseCheckpoint(await serializeCheckpoint(half.last!));
  expect([...restored.std!]).toEqual([...new Float32Array([0.2, 0.3, 0.4])]);
  expect(restored.meta.config.freeze).toBe('conv2_x');
  const resumed = await go(undefined, restored);
  for (const [name, v] of full.weights) expect(resumed.weights.get(name), name).toEqual(v);
});

test('the backbone learns at its own rate: backboneLrScale scales its first update, the head keeps the base rate', async () => {
  const run = async (scale: number): Promise<Map<string, Float32Array>> => {
    const model = tinyModel(6);
    const before = await values(model);
    const sgd = new SGD(
      trainableParams(model.variables, (n) => (n.startsWith('linear.') ? 1 : scale)),
      { learningRate: 0.05, weightDecay: 0 },
    );
    await trainStep(
      model,
      sgd,
      await train.batch(
        Int32Array.from({ length: 8 }, (_, i) => i),
        new Rng(0),
      ),
      0.05,
    );
    const after = await values(model);
    sgd.dispose();
    model.dispose();
    return new Map([...after].map(([n, v]) => [n, v.map((x, i) => x - before.get(n)![i]!)]));
  };
  const one = await run(1);
  const quarter = await run(0.25);
  for (const name of ['conv1.weight', 'layer2.0.conv1.weight']) {
    const a = one.get(name)!;
    const b = quarter.get(name)!;
    for (let i = 0; i < a.length; i += 7) expect(b[i]!).toBeCloseTo(a[i]! * 0.25, 6);
  }
  expect(quarter.get('linear.bias')).toEqual(one.get('linear.bias'));
  expect(
    () =>
      new SGD(
        trainableParams(tinyModel().variables, () => -1),
        { learningRate: 0.1 },
      ),
  ).toThrow(/learningRateScale of "conv1.weight" must be/);
});

test('the cosine schedule: base to final along half a cosine over its length, described and drawn', () => {
  const s = new LearningRateSchedule({ base: 0.1, decay: { kind: 'cosine', length: 100, final: 0.001 } });
  expect(s.rate(0)).toBeCloseTo(0.1, 12);
  expect(s.rate(50)).toBeCloseTo((0.1 + 0.001) / 2, 12);
  expect(s.rate(100)).toBeCloseTo(0.001, 12);
  expect(s.rate(500)).toBeCloseTo(0.001, 12);
  expect(s.rate(25)).toBeGreaterThan(s.rate(26));
  const spec = { base: 0.1, decay: { kind: 'cosine', length: 100 } } as const;
  expect(describeSchedule(spec)).toBe('0.1, cosine to 0 by 100');
  const steps = scheduleSteps(spec);
  expect(steps[0]).toEqual({ iteration: 0, learningRate: 0.1 });
  expect(steps).toHaveLength(20);
  expect(steps.every((st, i) => i === 0 || st.learningRate < steps[i - 1]!.learningRate)).toBe(true);
  expect(() => new LearningRateSchedule({ base: 0.1, decay: { kind: 'cosine', length: 0 } })).toThrow(
    /decay.length must be a positive integer/,
  );
  expect(() => new LearningRateSchedule({ base: 0.1, decay: { kind: 'cosine', length: 10, final: 0.2 } })).toThrow(
    /decay.final must be in \[0, 0.1\]/,
  );
});

test("the finetune recipe: the cosine follows the run's length; the backbone rate becomes its scale; freeze is checked", () => {
  const p = planRun({
    model: 'resnet18',
    data: { numClasses: 5 },
    recipe: 'finetune',
    overrides: { iterations: 200, learningRate: 0.02, backboneLearningRate: 0.005 },
  });
  expect(p.schedule).toEqual({ base: 0.02, decay: { kind: 'cosine', length: 200 } });
  expect(p.config.backboneLrScale).toBeCloseTo(0.25, 12);
  expect(p.config.freeze).toBe('none');
  expect(p.config.weightDecayScope).toBe('weights-only');
  expect(p.spec.numClasses).toBe(5);
  const layout = planRun({
    model: 'resnet50',
    data: { numClasses: 3 },
    modelOptions: { strideIn: '3x3', numClasses: 1000 },
    recipe: 'finetune',
  });
  expect([layout.spec.strideIn, layout.spec.numClasses]).toEqual(['3x3', 3]);
  expect(() => resolveRecipe('finetune', undefined, { freeze: '' })).toThrow(/freeze must be a stage name, backbone or none/);
  expect(() => planRun({ model: 'resnet18', recipe: 'finetune', overrides: { backboneLearningRate: -1 } })).toThrow(
    /backboneLearningRate must be/,
  );
  const model = tinyModel();
  expect(() => new Training(model, { train }, config({ freeze: 'conv9_x' }))).toThrow(/cannot freeze up to "conv9_x" in resnet8/);
  model.dispose();
});
