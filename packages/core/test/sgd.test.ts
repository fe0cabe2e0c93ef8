// SGD with momentum in the paper's (Caffe's) form, checked by hand on small numbers.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { SGD, createModel, trainableParams } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

test('v ← m·v + lr·(g + wd·w), w ← w − v over two steps', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgd-test-w');
  const sgd = new SGD([{ name: 'fc.weight', variable: w }], { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
  const g = tf.tensor1d([0.5, 0.25]);
  sgd.step({ 'sgd-test-w': g });
  // v1 = 0.1·(g + 0.01·w0) = 0.1·[0.51, 0.23] = [0.051, 0.023]; w1 = [0.949, -2.023]
  expect([...w.dataSync()].map((x) => +x.toFixed(6))).toEqual([0.949, -2.023]);
  sgd.learningRate = 0.01; // the paper's ÷10: the momentum buffer keeps its scale
  sgd.step({ 'sgd-test-w': g });
  // v2 = 0.9·v1 + 0.01·(g + 0.01·w1) = [0.0459 + 0.0050949, 0.0207 + 0.0022977]
  const v2 = [0.9 * 0.051 + 0.01 * (0.5 + 0.01 * 0.949), 0.9 * 0.023 + 0.01 * (0.25 + 0.01 * -2.023)];
  expect(w.dataSync()[0]).toBeCloseTo(0.949 - v2[0]!, 6);
  expect(w.dataSync()[1]).toBeCloseTo(-2.023 - v2[1]!, 6);
  tf.dispose([w, g]);
  sgd.dispose();
});

test('weight decay scope: all parameters, or conv and fc weights only', () => {
  const model = createModel('resnet8', { widths: [2, 2, 2], stemWidth: 2, inputSize: 8, shortcut: 'B' });
  const all = new SGD(trainableParams(model.variables), { learningRate: 0.1 });
  const weightsOnly = new SGD(trainableParams(model.variables), { learningRate: 0.1, weightDecayScope: 'weights-only' });
  expect(all.decays('bn1.weight')).toBe(true);
  expect(weightsOnly.decays('bn1.weight')).toBe(false);
  expect(weightsOnly.decays('layer2.0.shortcut.1.weight')).toBe(false);
  expect(weightsOnly.decays('layer2.0.shortcut.0.weight')).toBe(true);
  expect(weightsOnly.decays('layer1.0.conv2.weight')).toBe(true);
  expect(weightsOnly.decays('linear.weight')).toBe(true);
  expect(weightsOnly.decays('linear.bias')).toBe(false);
  [all, weightsOnly].forEach((s) => s.dispose());
  model.dispose();
});

test('a training step (forward, backward, SGD) returns the tensor count to where it was', () => {
  const model = createModel('resnet8', { seed: 1, widths: [4, 8, 8], stemWidth: 4, inputSize: 8 });
  const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1 });
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })) as tf.Scalar);
    sgd.step(grads);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  const first = step();
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 5; i++) last = step();
  expect(tf.memory().numTensors).toBe(before);
  expect(last).toBeLessThan(first); // it learns the 4 examples
  expect(() => sgd.step({})).toThrow(/sgd: no gradient for "conv1.weight"/);
  tf.dispose([x, y]);
  sgd.dispose();
  model.dispose();
});

test('bad options are refused', () => {
  expect(() => new SGD([], { learningRate: -1 })).toThrow(/learningRate must be ≥ 0, got -1/);
  expect(() => new SGD([], { learningRate: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\), got 1/);
});
