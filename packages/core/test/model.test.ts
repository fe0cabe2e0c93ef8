// The model on a real backend (cpu, the reference): shapes agree with the summary, BN modes behave
// as in the paper and PyTorch, option A is differentiable, and no call leaves a tensor behind.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createModel, subsample, type ResNet } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

/** Small but complete instances of every block kind and shortcut option. */
const tiny = {
  cifarA: () => createModel('resnet8', { seed: 1, inputSize: 12, widths: [4, 8, 16], stemWidth: 4 }),
  cifarB: () => createModel('resnet8', { seed: 2, inputSize: 12, widths: [4, 8, 16], stemWidth: 4, shortcut: 'B' }),
  cifarPlain: () => createModel('plain8', { seed: 3, inputSize: 12, widths: [4, 8, 16], stemWidth: 4 }),
  basicC: () => createModel('resnet18', { seed: 4, inputSize: 32, widths: [4, 8, 8, 8], stemWidth: 4, numClasses: 5, shortcut: 'C' }),
  bottleneck1x1: () => createModel('resnet50', { seed: 5, inputSize: 32, widths: [2, 4, 4, 4], stemWidth: 4, numClasses: 5 }),
  bottleneck3x3A: () =>
    createModel('resnet50', { seed: 6, inputSize: 33, widths: [2, 4, 4, 4], stemWidth: 4, numClasses: 5, strideIn: '3x3', shortcut: 'A' }),
};

function input(model: ResNet, n = 2, size = model.spec.inputSize): tf.Tensor4D {
  return tf.randomNormal([n, size, size, model.spec.inputChannels], 0, 1, 'float32', 42);
}

describe.each(Object.entries(tiny))('%s', (_, make) => {
  test("stage outputs and logits have the summary's shapes", () => {
    const model = make();
    const x = input(model);
    const summary = model.summary();
    const features = model.features(x);
    const expected = ['conv1', ...model.plan.stages.map((s) => s.name)];
    expect(Object.keys(features)).toEqual(expected);
    expect(features['conv1']!.shape.slice(1)).toEqual(summary.layers.find((l) => l.name === 'conv1')!.outputShape);
    for (const stage of model.plan.stages) {
      const last = stage.blocks.at(-1)!.convs.at(-1)!.name;
      expect(features[stage.name]!.shape.slice(1)).toEqual(summary.layers.find((l) => l.name === last)!.outputShape);
    }
    const logits = model.predict(x);
    expect(logits.shape).toEqual([2, model.spec.numClasses]);
    tf.dispose([x, logits, ...Object.values(features)]);
    model.dispose();
  });

  test('inference, training and feature calls leave no tensor behind', () => {
    const model = make();
    const x = input(model);
    const before = tf.memory().numTensors;
    tf.dispose(model.predict(x));
    tf.dispose(model.apply(x, { training: true }));
    tf.dispose(Object.values(model.features(x, { training: true })));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('a gradient step reaches every trainable weight and leaves no tensor behind', () => {
    const model = make();
    const x = input(model);
    const labels = tf.oneHot(tf.tensor1d([0, 1], 'int32'), model.spec.numClasses);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar);
    const names = Object.keys(grads);
    expect(names.length).toBe(model.trainableVariables().length);
    for (const g of Object.values(grads)) expect(Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!))).toBe(true);
    // Every conv's weight gets a nonzero gradient (option A's subsample passes it back to earlier layers).
    const convGrads = model
      .trainableVariables()
      .filter((v) => v.name.endsWith('.weight'))
      .map((v) => grads[v.name]!);
    for (const g of convGrads) expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels]);
    model.dispose();
  });
});

describe('batch norm in training and inference mode', () => {
  test('training mode normalizes with batch statistics; inference mode with running statistics', () => {
    const model = tiny.cifarA();
    // Running statistics far from the batch's make the two modes visibly different.
    model.variables.get('bn1.running_mean')!.assign(tf.fill([4], 5));
    model.variables.get('bn1.running_var')!.assign(tf.fill([4], 9));
    const x = input(model, 4);
    const train = model.features(x, { training: true })['conv1']!;
    const infer = model.features(x)['conv1']!;
    // conv1 output = ReLU(BN(conv(x))): before the ReLU, batch-normalized values have zero mean per channel.
    const pre = tf.tidy(() => {
      const c = tf.conv2d(x, model.variables.get('conv1.weight') as tf.Tensor4D, 1, 1);
      const { mean, variance } = tf.moments(c, [0, 1, 2]);
      return tf.relu(tf.batchNorm(c, mean, variance, undefined, undefined, 1e-5));
    });
    expect(maxAbsDiff(train, pre)).toBeLessThan(1e-5);
    expect(maxAbsDiff(train, infer)).toBeGreaterThan(0.1);
    tf.dispose([x, train, infer, pre]);
    model.dispose();
  });

  test("training mode updates running statistics with momentum 0.1 and the unbiased variance (PyTorch's rule)", () => {
    const model = tiny.cifarA();
    const x = input(model, 3);
    const conv = tf.conv2d(x, model.variables.get('conv1.weight') as tf.Tensor4D, 1, 1);
    const { mean, variance } = tf.moments(conv, [0, 1, 2]);
    const n = 3 * 12 * 12;
    const expectedMean = tf.mul(mean, 0.1); // 0.9·0 + 0.1·mean
    const expectedVar = tf.add(0.9, tf.mul(tf.mul(variance, n / (n - 1)), 0.1)); // 0.9·1 + 0.1·unbiased
    tf.dispose(model.predict(x));
    expect(model.numBatchesTracked).toBe(0);
    expect(tf.sum(model.variables.get('bn1.running_mean')!).dataSync()[0]).toBe(0);
    tf.dispose(model.apply(x, { training: true, updateStats: false }));
    expect(model.numBatchesTracked).toBe(0);
    tf.dispose(model.apply(x, { training: true }));
    expect(model.numBatchesTracked).toBe(1);
    expect(maxAbsDiff(model.variables.get('bn1.running_mean')!, expectedMean)).toBeLessThan(1e-6);
    expect(maxAbsDiff(model.variables.get('bn1.running_var')!, expectedVar)).toBeLessThan(1e-5);
    tf.dispose([x, conv, mean, variance, expectedMean, expectedVar]);
    model.dispose();
  });
});

describe('option A shortcut', () => {
  test('subsample takes x[:, ::2, ::2, :] for even and odd sizes, and passes gradients back to those pixels', () => {
    for (const size of [4, 5, 7]) {
      const x = tf.tensor4d(
        Array.from({ length: 2 * size * size * 3 }, (_, i) => i),
        [2, size, size, 3],
      );
      const got = subsample(x, 2);
      const half = Math.ceil(size / 2);
      expect(got.shape).toEqual([2, half, half, 3]);
      const src = x.arraySync();
      const want = src.map((img) => img.filter((_, r) => r % 2 === 0).map((row) => row.filter((_, c) => c % 2 === 0)));
      expect(got.arraySync()).toEqual(want);
      const g = (tf.grad((t: tf.Tensor) => tf.sum(subsample(t as tf.Tensor4D, 2)))(x) as tf.Tensor4D).arraySync();
      g.forEach((img) =>
        img.forEach((row, r) => row.forEach((px, c) => px.forEach((v: number) => expect(v).toBe(r % 2 === 0 && c % 2 === 0 ? 1 : 0)))),
      );
      tf.dispose([x, got]);
    }
  });

  test('the zero-padded channels sit on both sides, as the common CIFAR reproduction pads them', () => {
    const model = tiny.cifarA(); // layer2.0: 4 → 8 channels, pad 2 before and 2 after
    const sc = model.plan.stages[1]!.blocks[0]!.shortcut;
    expect(sc).toEqual({ kind: 'zero-pad', name: 'layer2.0.shortcut', stride: 2, padBefore: 2, padAfter: 2 });
    model.dispose();
  });
});

describe('weights and initialisation', () => {
  test("names are torchvision's for ImageNet nets and the CIFAR reproduction's for CIFAR nets", () => {
    const r50 = tiny.bottleneck1x1();
    const names = [...r50.variables.keys()];
    expect(names.slice(0, 6)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'layer1.0.conv1.weight',
    ]);
    expect(names).toContain('layer2.0.downsample.0.weight');
    expect(names).toContain('layer4.2.bn3.running_var');
    expect(names.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    const c = tiny.cifarB();
    expect([...c.variables.keys()]).toContain('layer3.0.shortcut.1.running_mean');
    expect([...c.variables.keys()].slice(-2)).toEqual(['linear.weight', 'linear.bias']);
    expect(r50.trainableVariables().every((v) => !v.name.includes('running'))).toBe(true);
    r50.dispose();
    c.dispose();
  });

  test('He initialisation: conv std √(2/(k²·out)) by default, √(2/(k²·in)) with init fan_in', () => {
    const wide = createModel('resnet20', { seed: 7 });
    const w = wide.variables.get('layer3.1.conv2.weight')!; // 3×3, 64 → 64: n = 576
    expect(std(w)).toBeCloseTo(Math.sqrt(2 / 576), 2);
    const fanIn = createModel('resnet20', { seed: 7, init: 'fan_in' });
    const w2 = fanIn.variables.get('layer2.0.conv1.weight')!; // 16 → 32: fan_in 144
    expect(std(w2)).toBeCloseTo(Math.sqrt(2 / 144), 2);
    const zero = createModel('resnet20', { zeroInitLastBN: true });
    expect(tf.sum(zero.variables.get('layer1.0.bn2.weight')!).dataSync()[0]).toBe(0);
    expect(tf.sum(zero.variables.get('layer1.0.bn1.weight')!).dataSync()[0]).toBe(16);
    [wide, fanIn, zero].forEach((m) => m.dispose());
  });

  test('the same seed gives the same weights; another seed, others', () => {
    const [a, b, c] = [createModel('resnet8', { seed: 11 }), createModel('resnet8', { seed: 11 }), createModel('resnet8', { seed: 12 })];
    for (const [name, v] of a.variables) expect(maxAbsDiff(v, b.variables.get(name)!)).toBe(0);
    expect(maxAbsDiff(a.variables.get('layer2.0.conv1.weight')!, c.variables.get('layer2.0.conv1.weight')!)).toBeGreaterThan(0);
    [a, b, c].forEach((m) => m.dispose());
  });

  test('setWeights replaces every weight, or throws naming the first misfit and changes nothing', () => {
    const a = tiny.cifarA();
    const b = createModel('resnet8', { seed: 99, inputSize: 12, widths: [4, 8, 16], stemWidth: 4 });
    b.setWeights(a.variables);
    for (const [name, v] of a.variables) expect(maxAbsDiff(v, b.variables.get(name)!)).toBe(0);
    const partial = new Map(a.variables);
    partial.delete('layer2.0.bn1.bias');
    expect(() => b.setWeights(partial)).toThrow(/weights do not fit resnet8: missing "layer2.0.bn1.bias" \(shape \[8\]\)/);
    const misshaped = new Map<string, tf.Tensor>(a.variables);
    const wrong = tf.zeros([16, 3]);
    misshaped.set('linear.weight', wrong);
    expect(() => b.setWeights(misshaped)).toThrow(/"linear.weight" has shape \[16, 3\], expected \[16, 10\]/);
    const extra = new Map<string, tf.Tensor>(a.variables);
    extra.set('layer9.0.conv1.weight', wrong);
    expect(() => b.setWeights(extra)).toThrow(/unexpected tensor "layer9.0.conv1.weight"/);
    for (const [name, v] of a.variables) expect(maxAbsDiff(v, b.variables.get(name)!)).toBe(0);
    tf.dispose(wrong);
    [a, b].forEach((m) => m.dispose());
  });
});

describe('input checks', () => {
  test('wrong rank, size, channels or dtype are refused with the expected shape', () => {
    const model = createModel('resnet20');
    const bad =
      (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
      () =>
        model.predict(tf.zeros(shape, dtype) as unknown as tf.Tensor4D);
    expect(bad([8, 28, 28, 1])).toThrow('resnet: input must be [N, 32, 32, 3] for resnet20, got [8, 28, 28, 1] (1 channels, expected 3)');
    expect(bad([32, 32, 3])).toThrow(/got \[32, 32, 3\] \(rank 3, expected 4: NHWC\)/);
    expect(bad([2, 28, 28, 3])).toThrow(/got \[2, 28, 28, 3\] \(pass anyInputSize: true/);
    expect(bad([2, 32, 32, 3], 'int32')).toThrow(/input must be float32, got int32/);
    const x = tf.zeros([1, 40, 48, 3]) as tf.Tensor4D;
    expect(model.predict(x, { anyInputSize: true }).shape).toEqual([1, 10]);
    model.dispose();
    expect(() => model.predict(x)).toThrow(/resnet20 was disposed/);
  });

  test('model options are checked too', () => {
    expect(() => createModel('resnet20', { bnMomentum: 2 })).toThrow(/bnMomentum must be in \(0, 1\], got 2/);
    expect(() => createModel('resnet20', { init: 'xavier' as never })).toThrow(/init must be "fan_out" or "fan_in", got "xavier"/);
    expect(() => createModel('resnet20', { seeed: 1 } as never)).toThrow(
      /unknown option "seeed" for model "resnet20"; options are numClasses, .*, seed, init/,
    );
  });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function std(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]!));
}

test('a seed gives the same weights every time, seed 0 included (tfjs treats a 0 seed as none)', () => {
  for (const seed of [0, 1]) {
    const a = createModel('resnet8', { seed });
    const b = createModel('resnet8', { seed });
    for (const [name, v] of a.variables) expect(v.dataSync()).toEqual(b.variables.get(name)!.dataSync());
    a.dispose();
    b.dispose();
  }
});
