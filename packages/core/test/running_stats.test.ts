// The BN running-statistics update (PyTorch's convention: momentum 0.1, unbiased variance): the
// composite tfjs ops by hand, and the fused kernel, when a backend registers it (here a JavaScript
// version for the cpu backend, in the contract's float32 order), giving the same values, run once
// per BN in the network's training forward, with no tensor left behind.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { BN_RUNNING_STATS_KERNEL, createModel } from '../src/index.js';
import { updatedRunningStats } from '../src/blocks/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

let unregister: (() => void) | undefined;
afterEach(() => {
  unregister?.();
  unregister = undefined;
});

/** The kernel for the cpu backend, computed as the contract says: float32 constants, each product and sum rounded. */
function registerCpuKernel(): () => void {
  const f = Math.fround;
  tf.registerKernel({
    kernelName: BN_RUNNING_STATS_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const cpu = backend as unknown as {
        readSync(id: object): Float32Array;
        makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo;
      };
      const [rm, rv, mean, variance] = (['runningMean', 'runningVar', 'mean', 'variance'] as const).map((n) =>
        cpu.readSync(inputs[n]!.dataId),
      ) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const { momentum, count } = attrs as unknown as { momentum: number; count: number };
      const [keep, m, unbias] = [f(1 - momentum), f(momentum), f(count / (count - 1))];
      const u = variance.map((v) => (count > 1 ? f(v * unbias) : v));
      const shape = inputs['mean']!.shape;
      return [
        cpu.makeTensorInfo(
          shape,
          'float32',
          rm.map((r, i) => f(f(r * keep) + f(mean[i]! * m))),
        ),
        cpu.makeTensorInfo(
          shape,
          'float32',
          rv.map((r, i) => f(f(r * keep) + f(u[i]! * m))),
        ),
      ];
    },
  });
  return () => tf.unregisterKernel(BN_RUNNING_STATS_KERNEL, 'cpu');
}

function update(count: number): number[][] {
  return tf.tidy(() => {
    const stats = { mean: tf.tensor1d([1, -2, 0.3]), variance: tf.tensor1d([4, 0.5, 1e-3]), count };
    const next = updatedRunningStats(tf.tensor1d([0, 1, 0.7]), tf.tensor1d([1, 2, 0.9]), stats, 0.1);
    return [Array.from(next.mean.dataSync()), Array.from(next.variance.dataSync())];
  });
}

test('mean ← 0.9·mean + 0.1·batch mean, var ← 0.9·var + 0.1·batch var·n/(n−1), by hand', () => {
  const [mean, variance] = update(5) as [number[], number[]];
  expect(mean.map((v) => +v.toFixed(6))).toEqual([0.1, 0.7, 0.66]);
  expect(variance.map((v) => +v.toFixed(6))).toEqual([1.4, 1.8625, 0.810125]);
});

test('with the kernel registered: the same values, one kernel per update, no tensor left behind', async () => {
  const composite = [update(5), update(1)];
  unregister = registerCpuKernel();
  const before = tf.memory().numTensors;
  expect([update(5), update(1)]).toEqual(composite);
  expect(tf.memory().numTensors).toBe(before);
  const profile = await tf.profile(() => update(5));
  expect(profile.kernelNames).toEqual([BN_RUNNING_STATS_KERNEL]);
});

test('a training forward updates every BN through the kernel, to what the composite gives', async () => {
  const run = () => {
    const model = createModel('resnet8', { widths: [2, 2, 2], stemWidth: 2, inputSize: 8, seed: 3 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    tf.dispose(model.apply(x, { training: true }));
    const stats = [...model.variables].filter(([n]) => n.includes('running_')).map(([n, v]) => [n, Array.from(v.dataSync())] as const);
    x.dispose();
    model.dispose();
    return stats;
  };
  const composite = run();
  unregister = registerCpuKernel();
  const profile = await tf.profile(() => {
    run();
    return tf.scalar(0);
  });
  const bns = composite.length / 2;
  expect(profile.kernels.filter((k) => k.name === BN_RUNNING_STATS_KERNEL).length).toBe(bns);
  expect(run()).toEqual(composite);
});
