// A program that imports @resnet/core before anything else (as the CLI does) must still get
// working gradients: tfjs-core's engine, not the gradient bundle's copy, has to be the global one.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

test('gradients that use chained ops (clone, cast) work when @resnet/core is imported first', () => {
  const program = `
    import { createModel } from ${JSON.stringify(dist)};
    import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    await tf.setBackend('cpu');
    const model = createModel('resnet8', { widths: [2, 2, 2], stemWidth: 2, inputSize: 8, seed: 1 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 10);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })));
    const g = tf.grad((a) => tf.sum(tf.avgPool(a, 2, 2, 'valid')))(x);
    console.log(JSON.stringify({ loss: value.dataSync()[0], grads: Object.keys(grads).length, avg: g.shape }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: path.dirname(dist), encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { loss: number; grads: number; avg: number[] };
  expect(Number.isFinite(result.loss)).toBe(true);
  expect(result.grads).toBeGreaterThan(10);
  expect(result.avg).toEqual([2, 8, 8, 3]);
});
