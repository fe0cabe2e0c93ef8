// BN folded into the convolutions (fold_bn.ts) on the cpu reference: the folded logits equal the
// unfolded model's within 1e-4 on every block kind and shortcut option, with BN statistics and
// affine parameters far from the identity so that folding is really exercised; the fold follows
// weight changes, leaves no tensor behind, and refuses bad input as model.predict does.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createModel, foldBatchNorm, type ResNet } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

const nets = {
  'CIFAR basic, option A, ε 0.1': () =>
    createModel('resnet8', { seed: 11, inputSize: 16, widths: [4, 8, 16], stemWidth: 4, bnEpsilon: 0.1 }),
  'CIFAR basic, option B': () => createModel('resnet8', { seed: 12, inputSize: 16, widths: [4, 8, 16], stemWidth: 4, shortcut: 'B' }),
  'CIFAR plain': () => createModel('plain8', { seed: 13, inputSize: 16, widths: [4, 8, 16], stemWidth: 4 }),
  'ImageNet bottleneck, option B, stride in 1×1': () =>
    createModel('resnet50', { seed: 14, inputSize: 32, widths: [2, 4, 4, 4], stemWidth: 4, numClasses: 5 }),
  'ImageNet bottleneck, option C, stride in 3×3': () =>
    createModel('resnet50', { seed: 15, inputSize: 32, widths: [2, 4, 4, 4], stemWidth: 4, numClasses: 5, shortcut: 'C', strideIn: '3x3' }),
  'ImageNet plain bottleneck': () => createModel('plain50', { seed: 16, inputSize: 32, widths: [2, 4, 4, 4], stemWidth: 4, numClasses: 5 }),
};

/** γ, β and the running statistics far from 1/0/0/1, so a fold that drops any of them is caught. */
function randomiseBatchNorm(model: ResNet, seed: number): void {
  let k = seed;
  tf.tidy(() => {
    for (const [name, v] of model.variables) {
      if (name.endsWith('running_mean') || (v.shape.length === 1 && name.endsWith('.bias') && !name.startsWith(model.plan.head.name))) {
        v.assign(tf.randomUniform(v.shape, -0.5, 0.5, 'float32', k++));
      } else if (name.endsWith('running_var')) {
        v.assign(tf.randomUniform(v.shape, 0.3, 2, 'float32', k++));
      } else if (v.shape.length === 1 && name.endsWith('.weight')) {
        v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', k++));
      }
    }
  });
}

function input(model: ResNet, n = 3, size = model.spec.inputSize): tf.Tensor4D {
  return tf.randomNormal([n, size, size, model.spec.inputChannels], 0, 1, 'float32', 7);
}

/** max |a − b| and that over max |b|. */
function diff(a: tf.Tensor, b: tf.Tensor): { abs: number; rel: number } {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    abs = Math.max(abs, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return { abs, rel: abs / scale };
}

describe.each(Object.entries(nets))('%s', (label, make) => {
  test("folded logits equal the unfolded model's within 1e-4 (abs and relative)", () => {
    const model = make();
    const x = input(model);
    const identityBn = model.predict(x);
    randomiseBatchNorm(model, 100);
    const expected = model.predict(x);
    const folded = foldBatchNorm(model);
    const actual = folded.predict(x);
    const d = diff(actual, expected);
    console.log(
      `fold ${label}: max abs ${d.abs.toExponential(2)}, max rel ${d.rel.toExponential(2)} (logits up to ${tf.max(tf.abs(expected)).dataSync()[0]!.toFixed(2)})`,
    );
    expect(actual.shape).toEqual(expected.shape);
    expect(d.abs).toBeLessThanOrEqual(1e-4);
    expect(d.rel).toBeLessThanOrEqual(1e-4);
    // The BN parameters matter: a fold that ignored them would be far off.
    expect(diff(identityBn, expected).rel).toBeGreaterThan(1e-2);
    tf.dispose([x, identityBn, expected, actual]);
    folded.dispose();
    model.dispose();
  });
});

describe('the folded model', () => {
  const make = nets['CIFAR basic, option B'];

  test('follows the model: a training step or setWeights refolds, an unchanged model does not', () => {
    const model = make();
    randomiseBatchNorm(model, 200);
    const x = input(model);
    const folded = foldBatchNorm(model);
    tf.dispose(folded.predict(x));
    expect(folded.foldCount).toBe(1);
    // A training forward updates every running statistic; predict must see the new ones.
    tf.dispose(model.apply(x, { training: true }));
    const afterStep = [folded.predict(x), model.predict(x)] as const;
    expect(folded.foldCount).toBe(2);
    expect(diff(afterStep[0], afterStep[1]).rel).toBeLessThanOrEqual(1e-4);
    // setWeights with a changed conv weight.
    const conv = model.variables.get('layer1.0.conv1.weight')!;
    const doubled = tf.mul(conv, 2);
    model.setWeights(new Map([...model.variables].map(([n, v]) => [n, n === 'layer1.0.conv1.weight' ? doubled : v])));
    const afterSet = [folded.predict(x), model.predict(x)] as const;
    expect(folded.foldCount).toBe(3);
    expect(diff(afterSet[0], afterSet[1]).rel).toBeLessThanOrEqual(1e-4);
    expect(diff(afterSet[1], afterStep[1]).rel).toBeGreaterThan(1e-3);
    expect(folded.refresh()).toBe(false);
    expect(folded.foldCount).toBe(3);
    tf.dispose([x, doubled, ...afterStep, ...afterSet]);
    folded.dispose();
    model.dispose();
  });

  test('leaves nothing behind but its result, and dispose frees every folded tensor', () => {
    const model = make();
    const x = input(model);
    const beforeFold = tf.memory().numTensors;
    const folded = foldBatchNorm(model);
    const afterFold = tf.memory().numTensors;
    // Two tensors (filter, bias) per conv: stem, 3 blocks × 2, 2 projections.
    expect(afterFold - beforeFold).toBe(2 * 9);
    const logits = folded.predict(x);
    expect(tf.memory().numTensors).toBe(afterFold + 1);
    logits.dispose();
    // A refold replaces the folded tensors; it does not add to them.
    tf.dispose(model.apply(x, { training: true }));
    tf.dispose(folded.predict(x));
    expect(folded.foldCount).toBe(2);
    expect(tf.memory().numTensors).toBe(afterFold);
    folded.dispose();
    expect(tf.memory().numTensors).toBe(beforeFold);
    folded.dispose(); // twice is harmless
    x.dispose();
    model.dispose();
  });

  test('refuses bad input with the same error as model.predict', () => {
    const model = make();
    const folded = foldBatchNorm(model);
    const bad = [
      tf.zeros([2, 12, 12, 3]),
      tf.zeros([2, 16, 16, 1]),
      tf.zeros([16, 16, 3]),
      tf.zeros([2, 16, 16, 3], 'int32'),
    ] as tf.Tensor[] as tf.Tensor4D[];
    for (const x of bad) {
      const expected = (() => {
        try {
          model.predict(x);
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })();
      expect(expected).toMatch(/^resnet: input must be/);
      expect(() => folded.predict(x)).toThrow(expected);
    }
    // Fully-convolutional use, as model.predict allows it.
    const big = input(model, 1, 24);
    const [a, b] = [folded.predict(big, { anyInputSize: true }), model.predict(big, { anyInputSize: true })];
    expect(diff(a, b).rel).toBeLessThanOrEqual(1e-4);
    tf.dispose([...bad, big, a, b]);
    folded.dispose();
    const x = input(model);
    expect(() => folded.predict(x)).toThrow('resnet: the folded resnet8 was disposed');
    const again = foldBatchNorm(model);
    model.dispose();
    expect(() => again.predict(x)).toThrow('resnet: resnet8 was disposed');
    again.dispose();
    x.dispose();
    expect(() => foldBatchNorm(model)).toThrow('resnet: cannot fold resnet8: it was disposed');
  });
});
