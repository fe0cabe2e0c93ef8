// The built-in synthetic set: reproducible, balanced, and out of a linear classifier's reach.
import { beforeAll, expect, test } from 'vitest';
import { Rng, SYNTHETIC_CLASSES, generateSynthetic, syntheticDatasets } from '../../src/index.js';
import { useCpu } from '../helpers/cpu.js';

beforeAll(useCpu);

test('the same seed gives the same images; another seed or split others', () => {
  const a = generateSynthetic(50, 0, 'train');
  expect(generateSynthetic(50, 0, 'train').images).toEqual(a.images);
  expect(generateSynthetic(50, 1, 'train').images).not.toEqual(a.images);
  expect(generateSynthetic(50, 0, 'test').images).not.toEqual(a.images);
  expect([a.height, a.width, a.channels]).toEqual([32, 32, 3]);
});

test('10 balanced classes, mean-subtracted like CIFAR, augmented only in training', async () => {
  const { train, test: held, mean, classNames } = syntheticDatasets({ trainSize: 200, testSize: 100 });
  expect(classNames).toEqual([...SYNTHETIC_CLASSES]);
  const counts = new Array(10).fill(0);
  for (const l of train.data.labels) counts[l]++;
  expect(counts).toEqual(new Array(10).fill(20));
  // The training images minus their own mean average to zero at every pixel.
  const all = await train.batch(Int32Array.from({ length: 200 }, (_, i) => i));
  let worst = 0;
  for (let p = 0; p < 3072; p++) {
    let s = 0;
    for (let i = 0; i < 200; i++) s += all.images[i * 3072 + p]!;
    worst = Math.max(worst, Math.abs(s / 200));
  }
  expect(worst).toBeLessThan(1e-5);
  expect(mean.length).toBe(3072);
  expect(held.size).toBe(100);
});

test('a linear classifier on the pixels does poorly (< 35% test accuracy, chance is 10%)', async () => {
  // Softmax regression by plain SGD over 2,000 images for 15 epochs: its best is the baseline a
  // ResNet must beat by far (README: ResNet-20 reaches > 90% in a few minutes). Plain loops: the
  // cpu backend's matMul would take minutes here.
  const { train, test: held } = syntheticDatasets({ trainSize: 2000, testSize: 500 });
  const tr = await train.batch(Int32Array.from({ length: 2000 }, (_, i) => i));
  const te = await held.batch(Int32Array.from({ length: 500 }, (_, i) => i));
  const d = 3072;
  const w = new Float32Array(d * 10);
  const b = new Float32Array(10);
  const z = new Float32Array(10);
  const scores = (x: Float32Array, i: number): Float32Array => {
    for (let c = 0; c < 10; c++) {
      let s = b[c]!;
      for (let p = 0; p < d; p++) s += x[i * d + p]! * w[c * d + p]!;
      z[c] = s;
    }
    return z;
  };
  const rng = new Rng(1);
  for (let epoch = 0; epoch < 15; epoch++) {
    const lr = 0.002 / (1 + epoch);
    for (const i of rng.permutation(2000)) {
      const s = scores(tr.images, i);
      const max = Math.max(...s);
      let sum = 0;
      for (let c = 0; c < 10; c++) sum += s[c] = Math.exp(s[c]! - max);
      for (let c = 0; c < 10; c++) {
        const g = s[c]! / sum - (c === tr.labels[i] ? 1 : 0);
        b[c]! -= lr * g;
        for (let p = 0; p < d; p++) w[c * d + p]! -= lr * g * tr.images[i * d + p]!;
      }
    }
  }
  const accuracy = (x: Float32Array, labels: Int32Array): number => {
    let right = 0;
    for (let i = 0; i < labels.length; i++) {
      const s = scores(x, i);
      if (s.indexOf(Math.max(...s)) === labels[i]) right++;
    }
    return right / labels.length;
  };
  const trainAcc = accuracy(tr.images, tr.labels);
  const testAcc = accuracy(te.images, te.labels);
  console.log(`linear classifier: train accuracy ${(trainAcc * 100).toFixed(1)}%, test accuracy ${(testAcc * 100).toFixed(1)}%`);
  expect(trainAcc).toBeGreaterThan(testAcc + 0.1); // it fitted what it could: it did learn
  expect(testAcc).toBeLessThan(0.35);
}, 120_000);
