// The paper's analyses on the cpu reference backend: layer responses (Fig. 7) are exactly the 3×3
// convs' BN outputs, checked against the network recomputed op by op, and their std is the float64
// std of those values; the degradation conversion (Fig. 4/6) from made-up training histories.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Rng,
  compareDepths,
  createModel,
  degradationRuns,
  degradationSummary,
  layerResponses,
  meanResponse,
  resolveSpec,
  responseLayers,
  responseNetwork,
  responseTensors,
  sortedResponses,
  trainingCurve,
  type Dataset,
  type ExperimentRun,
  type ImageBatch,
  type ResNet,
  type TrainingHistory,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

const SIZE = 8;

/** A tiny CIFAR-layout net with random BN statistics and affine parameters, so inference BN is not the identity. */
function tinyModel(name: string, seed = 1): ResNet {
  const model = createModel(name, { widths: [4, 4, 8], stemWidth: 4, inputSize: SIZE, numClasses: 3, seed });
  const rng = new Rng(seed + 100);
  const weights = new Map<string, tf.Tensor>();
  for (const [key, v] of model.variables) {
    if (key.endsWith('.running_mean') || key.endsWith('.bias'))
      weights.set(
        key,
        tf.tensor(
          Float32Array.from({ length: v.size }, () => rng.uniform(-0.5, 0.5)),
          v.shape,
        ),
      );
    else if (key.endsWith('.running_var') || (key.includes('bn') && key.endsWith('.weight')))
      weights.set(
        key,
        tf.tensor(
          Float32Array.from({ length: v.size }, () => rng.uniform(0.5, 2)),
          v.shape,
        ),
      );
    else weights.set(key, tf.clone(v));
  }
  model.setWeights(weights);
  tf.dispose([...weights.values()]);
  return model;
}

/** Normalised images held as floats: a Dataset whose batches are slices of `images`. */
function floatDataset(images: Float32Array, count: number, size = SIZE): Dataset {
  const per = size * size * 3;
  return {
    name: 'floats/test',
    size: count,
    classNames: ['a', 'b', 'c'],
    imageShape: [size, size, 3],
    batch: async (indices): Promise<ImageBatch> => {
      const n = indices.length;
      const out = new Float32Array(n * per);
      for (let k = 0; k < n; k++) out.set(images.subarray(indices[k]! * per, (indices[k]! + 1) * per), k * per);
      return {
        images: out,
        labels: new Int32Array(n),
        size: n,
        views: 1,
        height: size,
        width: size,
        channels: 3,
        indices: Int32Array.from(indices),
      };
    },
  };
}

function randomImages(count: number, seed: number, size = SIZE): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * size * size * 3 }, () => rng.normal() + 0.3);
}

/** Population std in float64. */
function std64(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / values.length);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/**
 * resnet8's first layers recomputed with tfjs ops only (not the library's blocks): the BN outputs of
 * conv1, layer1.0.conv1, layer1.0.conv2 (before the addition) and layer2.0.conv1 (stride 2).
 */
function manualResponses(model: ResNet, x: tf.Tensor4D): Record<string, tf.Tensor4D> {
  return tf.tidy(() => {
    const w = (n: string): tf.Tensor => model.variables.get(n)!;
    const bn = (name: string, t: tf.Tensor4D): tf.Tensor4D =>
      tf.batchNorm(
        t,
        w(`${name}.running_mean`) as tf.Tensor1D,
        w(`${name}.running_var`) as tf.Tensor1D,
        w(`${name}.bias`) as tf.Tensor1D,
        w(`${name}.weight`) as tf.Tensor1D,
        model.bnEpsilon,
      );
    const conv = (name: string, t: tf.Tensor4D, stride: number): tf.Tensor4D => tf.conv2d(t, w(`${name}.weight`) as tf.Tensor4D, stride, 1);
    const bn1 = bn('bn1', conv('conv1', x, 1));
    const stem = tf.relu(bn1);
    const a = bn('layer1.0.bn1', conv('layer1.0.conv1', stem, 1));
    const b = bn('layer1.0.bn2', conv('layer1.0.conv2', tf.relu(a), 1));
    const block = tf.relu(tf.add(b, stem)) as tf.Tensor4D;
    const c = bn('layer2.0.bn1', conv('layer2.0.conv1', block, 2));
    return { bn1, 'layer1.0.bn1': a, 'layer1.0.bn2': b, 'layer2.0.bn1': c };
  });
}

describe('layer responses (Fig. 7)', () => {
  test('one response per 3×3 conv, in network order, named by its BN', () => {
    for (const name of ['resnet8', 'plain8']) {
      const model = tinyModel(name);
      const layers = responseLayers(model);
      // CIFAR nets: the 3×3 stem and two 3×3 convs per block: 6n+1 layers.
      expect(layers.map((l) => l.bn)).toEqual([
        'bn1',
        'layer1.0.bn1',
        'layer1.0.bn2',
        'layer2.0.bn1',
        'layer2.0.bn2',
        'layer3.0.bn1',
        'layer3.0.bn2',
      ]);
      expect(layers.map((l) => l.name)).toEqual([
        'conv1',
        'layer1.0.conv1',
        'layer1.0.conv2',
        'layer2.0.conv1',
        'layer2.0.conv2',
        'layer3.0.conv1',
        'layer3.0.conv2',
      ]);
      model.dispose();
    }
    const resnet20 = createModel('resnet20', { seed: 1 });
    expect(responseLayers(resnet20)).toHaveLength(19);
    resnet20.dispose();
  });

  test('bottleneck nets: only the middle 3×3 of each block (the 7×7 stem and 1×1s are not 3×3 layers)', () => {
    for (const strideIn of ['1x1', '3x3'] as const) {
      const model = createModel('resnet50', { widths: [2, 2, 2, 2], stemWidth: 4, inputSize: 32, numClasses: 3, strideIn, seed: 2 });
      const plan = model.plan;
      const threeByThree = [
        plan.stem,
        ...plan.stages.flatMap((s) =>
          s.blocks.flatMap((b) => [...b.convs, ...(b.shortcut.kind === 'projection' ? [b.shortcut.conv] : [])]),
        ),
      ].filter((c) => c.kernel === 3);
      expect(threeByThree).toHaveLength(16);
      const layers = responseLayers(model);
      expect(layers.map((l) => l.bn)).toEqual(threeByThree.map((c) => c.bn));
      expect(layers.every((l) => l.bn.endsWith('.bn2'))).toBe(true);
      // The forward pass reports them in the same order.
      const x = tf.randomNormal([1, 32, 32, 3]) as tf.Tensor4D;
      const tensors = responseTensors(model, x);
      expect([...tensors.keys()]).toEqual(layers.map((l) => l.bn));
      expect(tensors.get('layer2.0.bn2')!.shape).toEqual([1, 4, 4, 2]);
      tf.dispose([x, ...tensors.values()]);
      model.dispose();
    }
  });

  test('the hook gives exactly the BN outputs of the 3×3 convs, before ReLU and addition', async () => {
    const model = tinyModel('resnet8');
    const x = tf.tensor4d(randomImages(5, 3), [5, SIZE, SIZE, 3]);
    const got = responseTensors(model, x);
    const want = manualResponses(model, x);
    for (const [name, t] of Object.entries(want)) {
      expect(got.get(name)!.shape).toEqual(t.shape);
      expect(maxAbsDiff(await got.get(name)!.data(), await t.data())).toBeLessThan(1e-5);
    }
    // Before the ReLU: the responses have negative values.
    expect(Math.min(...(await got.get('layer1.0.bn1')!.data()))).toBeLessThan(0);
    tf.dispose([x, ...got.values(), ...Object.values(want)]);
    model.dispose();
  });

  test('std per layer is the float64 population std of all its values, over uneven batches', async () => {
    const model = tinyModel('resnet8');
    const count = 8;
    const images = randomImages(count, 4);
    const x = tf.tensor4d(images, [count, SIZE, SIZE, 3]);
    const want = manualResponses(model, x);
    const all = responseTensors(model, x);
    const r = await layerResponses(model, floatDataset(images, count), { batchSize: 3 });
    expect(r).toMatchObject({ model: 'resnet8', label: 'ResNet-8', kind: 'residual', depth: 8, examples: count });
    expect(r.layers).toHaveLength(7);
    const layer = r.layers.find((l) => l.name === 'layer2.0.bn1')!;
    expect(layer).toMatchObject({ index: 4, conv: 'layer2.0.conv1', count: count * 4 * 4 * 4 });
    expect(layer.std).toBeCloseTo(std64(await want['layer2.0.bn1']!.data()), 5);
    for (const l of r.layers) {
      const values = await all.get(l.name)!.data();
      expect(l.count).toBe(values.length);
      expect(Math.abs(l.std - std64(values)) / std64(values)).toBeLessThan(1e-5);
    }
    tf.dispose([x, ...all.values(), ...Object.values(want)]);
    model.dispose();
  });

  test('maxExamples, BN in inference mode (running stats unchanged), nothing left behind', async () => {
    const model = tinyModel('plain8');
    const images = randomImages(10, 5);
    const before = tf.memory().numTensors;
    const varBefore = await model.variables.get('layer1.0.bn1.running_var')!.data();
    const r = await layerResponses(model, floatDataset(images, 10), { batchSize: 4, maxExamples: 6 });
    expect(tf.memory().numTensors).toBe(before);
    expect(await model.variables.get('layer1.0.bn1.running_var')!.data()).toEqual(varBefore);
    expect(model.numBatchesTracked).toBe(0);
    expect(r.examples).toBe(6);
    expect(r).toMatchObject({ label: 'plain-8', kind: 'plain' });
    // The first 6 examples in one batch give the same numbers.
    const once = await layerResponses(model, floatDataset(images.slice(0, 6 * SIZE * SIZE * 3), 6), { batchSize: 6 });
    r.layers.forEach((l, i) => expect(l.std).toBeCloseTo(once.layers[i]!.std, 5));
    const x = tf.tensor4d(images.slice(0, 2 * SIZE * SIZE * 3), [2, SIZE, SIZE, 3]);
    const t = responseTensors(model, x);
    expect(tf.memory().numTensors).toBe(before + 1 + 7);
    tf.dispose([x, ...t.values()]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('bad input and options are refused, naming the value', async () => {
    const model = tinyModel('resnet8');
    const data = floatDataset(randomImages(2, 6), 2);
    await expect(layerResponses(model, data, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(layerResponses(model, data, { maxExamples: 1.5 })).rejects.toThrow(/maxExamples must be a positive integer, got 1.5/);
    const gray = { ...data, imageShape: [SIZE, SIZE, 1] as const };
    await expect(layerResponses(model, gray)).rejects.toThrow(
      /floats\/test's images must be \[N, H, W, 3\] images for resnet8, got \[1, 8, 8, 1\]/,
    );
    model.dispose();
    await expect(layerResponses(model, data)).rejects.toThrow(/resnet8 was disposed/);
  });

  test("sorted, mean and the chart's line", async () => {
    const model = tinyModel('resnet8');
    const r = await layerResponses(model, floatDataset(randomImages(4, 7), 4));
    const sorted = sortedResponses(r.layers);
    expect(sorted.map((l) => l.std)).toEqual([...r.layers.map((l) => l.std)].sort((a, b) => b - a));
    expect(r.layers.map((l) => l.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(meanResponse(r)).toBeCloseTo(r.layers.reduce((s, l) => s + l.std, 0) / 7, 12);
    const line = responseNetwork(r);
    expect(line).toEqual({ name: 'ResNet-8', kind: 'residual', std: r.layers.map((l) => l.std) });
    model.dispose();
  });
});

describe('degradation (Fig. 4/6)', () => {
  /** A history logged every 10 iterations with test evaluations every 20 (and a val one that must be ignored). */
  function history(finalTrain: number, finalTest: number, iterations = 40): TrainingHistory {
    const log = [];
    const evals = [];
    for (let it = 10; it <= iterations; it += 10) {
      const f = it / iterations;
      log.push({
        type: 'log' as const,
        iteration: it,
        epoch: it / 100,
        learningRate: 0.1,
        loss: 1,
        trainError: 0.9 - (0.9 - finalTrain) * f,
        imagesPerSecond: 10,
        elapsed: it,
      });
      if (it % 20 === 0) {
        evals.push({ type: 'eval' as const, iteration: it, split: 'val' as const, top1Error: 0.99, top5Error: 0.5, loss: 1 });
        evals.push({
          type: 'eval' as const,
          iteration: it,
          split: 'test' as const,
          top1Error: 0.9 - (0.9 - finalTest) * f,
          top5Error: 0.5,
          loss: 1,
        });
      }
    }
    return { log, eval: evals };
  }

  const run = (model: string, train: number, test: number): ExperimentRun => ({
    model,
    spec: resolveSpec(model),
    history: history(train, test),
  });
  const runs = [run('plain20', 0.1, 0.2), run('resnet20', 0.08, 0.15), run('plain56', 0.2, 0.3), run('resnet56', 0.05, 0.12)];

  test('curves: train error from the log, test error from test-split evaluations only', () => {
    const curve = trainingCurve(runs[0]!.history);
    expect(curve.map((p) => p.iteration)).toEqual([10, 20, 30, 40]);
    expect(curve[0]).toEqual({ iteration: 10, trainError: expect.closeTo(0.7, 12), testError: null });
    expect(curve[3]).toEqual({ iteration: 40, trainError: expect.closeTo(0.1, 12), testError: expect.closeTo(0.2, 12) });
    expect(curve.every((p) => p.testError !== 0.99)).toBe(true);
    // An evaluation at an iteration that was not logged gets its own point, in order.
    const extra = trainingCurve({
      log: [],
      eval: [{ type: 'eval', iteration: 5, split: 'test', top1Error: 0.5, top5Error: 0.2, loss: 1 }],
    });
    expect(extra).toEqual([{ iteration: 5, trainError: null, testError: 0.5 }]);
  });

  test("runs for degradationFigure: kind and depth from the spec, the paper's labels", () => {
    const figureRuns = degradationRuns(runs);
    expect(figureRuns.map((r) => [r.name, r.kind, r.depth])).toEqual([
      ['plain-20', 'plain', 20],
      ['ResNet-20', 'residual', 20],
      ['plain-56', 'plain', 56],
      ['ResNet-56', 'residual', 56],
    ]);
    expect(degradationRuns([{ ...runs[0]!, label: 'mine' }])[0]!.name).toBe('mine');
  });

  test('summary: final train and test error per model, and the depth comparison', () => {
    const summary = degradationSummary(runs);
    expect(summary[2]).toEqual({
      model: 'plain56',
      label: 'plain-56',
      kind: 'plain',
      depth: 56,
      iterations: 40,
      finalTrainError: expect.closeTo(0.2, 12),
      finalTestError: expect.closeTo(0.3, 12),
      finalTestIteration: 40,
    });
    const cmp = compareDepths(summary);
    expect(cmp.map((c) => [c.kind, c.shallow.model, c.deep.model, c.degraded])).toEqual([
      ['plain', 'plain20', 'plain56', true],
      ['residual', 'resnet20', 'resnet56', false],
    ]);
    expect(cmp[0]!.trainErrorGap).toBeCloseTo(0.1, 12);
    expect(cmp[1]!.testErrorGap).toBeCloseTo(-0.03, 12);
    // A run that logged nothing yet: nulls, and no comparison for its kind.
    const empty = degradationSummary([{ model: 'plain8', spec: resolveSpec('plain8'), history: { log: [], eval: [] } }]);
    expect(empty[0]).toMatchObject({ iterations: 0, finalTrainError: null, finalTestError: null, finalTestIteration: null });
    expect(compareDepths(empty)).toEqual([]);
  });

  test('malformed histories are refused, naming the run and the record', () => {
    expect(() => degradationRuns([{ ...runs[0]!, history: { log: [] } as unknown as TrainingHistory }])).toThrow(
      /runs\[0\] \(plain20\)\.history must be \{ log: LogRecord\[\], eval: EvalRecord\[\] \}/,
    );
    const bad = { log: [{ iteration: 1, trainError: '5%' }], eval: [] } as unknown as TrainingHistory;
    expect(() => degradationSummary([{ ...runs[1]!, history: bad }])).toThrow(
      /runs\[0\] \(resnet20\)\.history\.log\[0\] must have numeric iteration and trainError/,
    );
  });
});
