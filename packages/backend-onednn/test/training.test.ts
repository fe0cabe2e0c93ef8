// Training on onednn: the same losses, weights and running statistics as the cpu backend from the
// same start, every step returning the tensor count to where it was, and the fused kernels in use.
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainStep, trainableParams, type ImageBatch } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { expectClose, randomValues, skipReason } from './helpers.js';
import { loadNative, onednnProvider, type OneDnnBackend } from '../src/index.js';

function batch(size: number, seed: number): ImageBatch {
  return {
    images: randomValues(size * 32 * 32 * 3, seed),
    labels: Int32Array.from({ length: size }, (_, i) => (i * 7 + seed) % 10),
    indices: Int32Array.from({ length: size }, (_, i) => i),
    size,
    views: 1,
    height: 32,
    width: 32,
    channels: 3,
  };
}

async function run(
  backend: string,
  model: string,
  steps: number,
): Promise<{ losses: number[]; weights: Map<string, Float32Array>; kernels: string[] }> {
  await tf.setBackend(backend);
  const net = createModel(model, { seed: 3, stemWidth: 8, widths: [8, 16, 32] });
  const sgd = new SGD(trainableParams(net.variables), { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const losses: number[] = [];
  let kernels: string[] = [];
  for (let i = 0; i < steps; i++) {
    const before = tf.memory().numTensors;
    if (i === steps - 1) {
      const p = await tf.profile(async () => void losses.push((await trainStep(net, sgd, batch(4, i), 0.05, i)).loss));
      kernels = p.kernelNames;
    } else losses.push((await trainStep(net, sgd, batch(4, i), 0.05, i)).loss);
    expect(tf.memory().numTensors, `${backend} step ${i}: tensor count`).toBe(before);
    if (backend === 'onednn') {
      // What the addon holds for tensors (ReLU workspaces of BN outputs, reordered weights) is
      // released with them: nothing of a finished step remains natively.
      const held = loadNative().addon!.info();
      expect(held.workspaces, `step ${i}: BN workspaces held`).toBe(0);
      expect(held.cachedWeights, `step ${i}: reordered weights held`).toBe(0);
    }
  }
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of net.variables) weights.set(name, Float32Array.from(await v.data()));
  sgd.dispose();
  net.dispose();
  return { losses, weights, kernels };
}

describe.skipIf(skipReason !== undefined)('training on onednn', () => {
  test.each(['resnet8', 'plain8'])(
    '%s: 4 SGD steps match the cpu backend (losses, weights, BN statistics)',
    async (model) => {
      await onednnProvider.activate();
      const cpu = await run('cpu', model, 4);
      const native = await run('onednn', model, 4);
      // Four steps of momentum SGD amplify float32 rounding differences of the convolutions'
      // summation order; 1e-4 relative is the conformance suite's tolerance for a model's SGD step.
      native.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!) / cpu.losses[i]!, `loss ${i}`).toBeLessThan(1e-4));
      for (const [name, w] of cpu.weights) expectClose(native.weights.get(name)!, w, 1e-3, 1e-4, name);
      // The fused kernels ran, and the composite BN did not.
      for (const k of ['ResNetBatchNormTraining', 'ResNetBatchNormTrainingGrad', 'ResNetSgdMomentum', 'Conv2D', 'Conv2DBackpropFilter'])
        expect(native.kernels).toContain(k);
      expect(native.kernels).not.toContain('FusedBatchNorm');
      if (model.startsWith('resnet')) expect(native.kernels).toContain('ResNetAddRelu');
    },
    120_000,
  );

  test('the same seed gives the same losses twice on onednn', async () => {
    await onednnProvider.activate();
    const a = await run('onednn', 'resnet8', 3);
    const b = await run('onednn', 'resnet8', 3);
    expect(b.losses).toEqual(a.losses);
  }, 60_000);
});

describe.skipIf(skipReason !== undefined)("core's variableGrads on onednn", () => {
  test('ResNet-20 at batch 32: the same gradients as tf.variableGrads at under 60% of its peak memory', async () => {
    await onednnProvider.activate();
    const { variableGrads } = await import('@resnet/core');
    const backend = tf.backend() as OneDnnBackend;
    const net = createModel('resnet20', { seed: 5 });
    const b = batch(32, 9);
    const x = tf.tensor4d(b.images, [32, 32, 32, 3]);
    const labels = tf.oneHot(tf.tensor1d(b.labels, 'int32'), 10);
    const f = () => tf.losses.softmaxCrossEntropy(labels, net.apply(x, { training: true })) as tf.Scalar;
    const measure = (grads: typeof variableGrads) => {
      backend.resetPeak();
      const base = backend.poolStats().liveBytes;
      const r = grads(f, net.trainableVariables());
      return { r, peak: backend.poolStats().peakLiveBytes - base };
    };
    const ours = measure(variableGrads);
    const theirs = measure((g, v) => tf.variableGrads(g, [...v]));
    for (const [k, g] of Object.entries(theirs.r.grads))
      expectClose(Float32Array.from(await ours.r.grads[k]!.data()), Float32Array.from(await g!.data()), 0, 0, k);
    expect(ours.peak).toBeLessThan(0.6 * theirs.peak);
    tf.dispose([ours.r.value, theirs.r.value, ...Object.values(ours.r.grads), ...Object.values(theirs.r.grads)] as tf.Tensor[]);
    tf.dispose([x, labels]);
    net.dispose();
  }, 120_000);
});
