// Training-mode BN (+ ReLU): the fused kernel path and the composite tfjs ops agree, forward and
// backward, on edge shapes; the network runs the fused kernel where one is registered (with the
// ReLUs that follow a BN folded in) and the composite ops where none is; no tensor is left behind.
// The fused kernels here are a float64 JavaScript implementation registered for the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  BATCH_NORM_TRAINING_GRAD_KERNEL,
  BATCH_NORM_TRAINING_KERNEL,
  SGD,
  batchNormTraining,
  backbone,
  batchNormTrainingComposite,
  createModel,
  hasFusedBatchNormTraining,
  trainStep,
  trainableParams,
  type ImageBatch,
  type ResNet,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';
import { registerFusedBatchNormCpu } from './helpers/fused_batch_norm_cpu.js';

beforeAll(useCpu);

let unregister: (() => void) | undefined;
function withKernels(kernels: 'both' | 'forward only' = 'both'): void {
  unregister = registerFusedBatchNormCpu('cpu', kernels);
}
afterEach(() => {
  unregister?.();
  unregister = undefined;
});

/**
 * |a − e| ≤ atol + rtol·|e| elementwise, or atol + rtol·max|e| with `relativeTo: 'max'` (for whole
 * networks, whose gradients mix large and near-zero elements).
 */
async function expectClose(
  actual: tf.Tensor,
  expected: tf.Tensor,
  label: string,
  rtol = 1e-5,
  atol = 1e-5,
  relativeTo: 'element' | 'max' = 'element',
): Promise<void> {
  expect(actual.shape, label).toEqual(expected.shape);
  const [a, e] = [Float64Array.from(await actual.data()), Float64Array.from(await expected.data())];
  const scale = relativeTo === 'max' ? e.reduce((m, v) => Math.max(m, Math.abs(v)), 0) : 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!);
    const allowed = atol + rtol * (relativeTo === 'max' ? scale : Math.abs(e[i]!));
    if (!(err <= allowed)) expect.fail(`${label}[${i}]: ${a[i]} vs ${e[i]} (|Δ| ${err.toExponential(2)} > ${allowed.toExponential(2)})`);
  }
}

type Path = typeof batchNormTraining;

/** y, mean, variance and the gradients of Σ y·R (R fixed, random) with respect to x, γ, β. */
function run(path: Path, shape: [number, number, number, number], relu: boolean, seed: number): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const c = shape[3];
    const x = tf.add(tf.randomNormal(shape, 0, 2, 'float32', seed), 0.5) as tf.Tensor4D;
    const gamma = tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1);
    // β around 0, so the ReLU cuts a good share of the outputs.
    const beta = tf.randomNormal([c], 0, 0.5, 'float32', seed + 2);
    const r = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
    const { y, mean, variance } = path(x, gamma, beta, 1e-5, relu);
    const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(path(a as tf.Tensor4D, g, b, 1e-5, relu).y, r)),
    )([x, gamma, beta]);
    return { y, mean, variance, dx: dx!, dgamma: dgamma!, dbeta: dbeta! };
  });
}

const SHAPES: [string, [number, number, number, number]][] = [
  ['[2,5,3,4]', [2, 5, 3, 4]],
  ['C = 1 [3,4,4,1]', [3, 4, 4, 1]],
  ['N·H·W = 1 [1,1,1,3]', [1, 1, 1, 3]],
  ['H = W = 1 [4,1,1,2]', [4, 1, 1, 2]],
  ['odd [1,7,5,6]', [1, 7, 5, 6]],
];

describe.each([false, true])('relu %s', (relu) => {
  test.each(SHAPES)('fused = composite, forward and gradients: %s', async (_, shape) => {
    withKernels();
    expect(hasFusedBatchNormTraining()).toBe(true);
    const before = tf.memory().numTensors;
    const fused = run(batchNormTraining, shape, relu, 7);
    const composite = run(batchNormTrainingComposite, shape, relu, 7);
    // The composite is float32 (sums, then rsqrt), the test kernel float64 rounded once: they differ
    // by the float32 rounding of sums over N·H·W ≤ 35 values.
    for (const name of ['y', 'mean', 'variance']) await expectClose(fused[name]!, composite[name]!, name);
    // Gradients: sums of N·H·W products, and dx the difference of nearly equal terms: 1e-4.
    for (const name of ['dx', 'dgamma', 'dbeta']) await expectClose(fused[name]!, composite[name]!, name, 1e-4, 1e-4);
    if (shape[0] * shape[1] * shape[2] === 1) {
      // One value per channel: y is β (relu'd), and x has no gradient (it is its own mean).
      const zeros = tf.zerosLike(fused['dx']!);
      await expectClose(fused['dx']!, zeros, 'dx is 0', 0, 1e-4);
      zeros.dispose();
    }
    tf.dispose([...Object.values(fused), ...Object.values(composite)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The kernels f runs, by name, in order (profile.kernelNames has each name once). */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const profile = await tf.profile(() => f());
  tf.dispose(profile.result);
  return profile.kernels.map((k) => k.name);
}

function bnInputs(): { x: tf.Tensor4D; gamma: tf.Tensor; beta: tf.Tensor } {
  return { x: tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 1), gamma: tf.ones([4]), beta: tf.zeros([4]) };
}

describe('which path runs', () => {
  test('with the kernels registered: one forward kernel, one gradient kernel, no composite ops', async () => {
    withKernels();
    const { x, gamma, beta } = bnInputs();
    const forward = await kernelsOf(() => batchNormTraining(x, gamma, beta, 1e-5, true).y);
    expect(forward).toEqual([BATCH_NORM_TRAINING_KERNEL]);
    const backward = await kernelsOf(() =>
      tf.grads((a: tf.Tensor, g: tf.Tensor) => tf.sum(batchNormTraining(a as tf.Tensor4D, g, beta, 1e-5, true).y))([x, gamma]),
    );
    expect(backward).toContain(BATCH_NORM_TRAINING_GRAD_KERNEL);
    expect(backward).not.toContain('FusedBatchNorm');
    expect(backward).not.toContain('Relu');
    tf.dispose([x, gamma, beta]);
  });

  test('without them (or with the forward alone), the composite: moments, FusedBatchNorm, Relu', async () => {
    for (const kernels of ['none', 'forward only'] as const) {
      if (kernels !== 'none') withKernels(kernels);
      expect(hasFusedBatchNormTraining()).toBe(false);
      const { x, gamma, beta } = bnInputs();
      const names = await kernelsOf(() => batchNormTraining(x, gamma, beta, 1e-5, true).y);
      expect(names).not.toContain(BATCH_NORM_TRAINING_KERNEL);
      expect(names).toContain('FusedBatchNorm');
      expect(names.at(-1)).toBe('Relu');
      tf.dispose([x, gamma, beta]);
      unregister?.();
      unregister = undefined;
    }
  });

  test('the composite on request even with the kernels registered', async () => {
    withKernels();
    const { x, gamma, beta } = bnInputs();
    const names = await kernelsOf(() => batchNormTrainingComposite(x, gamma, beta, 1e-5, false).y);
    expect(names).not.toContain(BATCH_NORM_TRAINING_KERNEL);
    expect(names).toContain('FusedBatchNorm');
    tf.dispose([x, gamma, beta]);
  });

  test('shapes are checked, naming the offending one', () => {
    const { x, gamma, beta } = bnInputs();
    expect(() => batchNormTraining(x, tf.ones([3]), beta, 1e-5, false)).toThrow(
      'batchNormTraining: gamma must be [4] for x of [2, 3, 3, 4], got [3]',
    );
    expect(() => batchNormTraining(tf.ones([2, 4]) as unknown as tf.Tensor4D, gamma, beta, 1e-5, false)).toThrow(
      'x must be NHWC [N, H, W, C], got [2, 4]',
    );
    tf.dispose([x, gamma, beta]);
  });
});

const NETS: [string, () => ResNet][] = [
  ['resnet8 (option A)', () => createModel('resnet8', { seed: 1, inputSize: 8, widths: [4, 8, 8], stemWidth: 4, numClasses: 3 })],
  [
    'resnet8 (option B)',
    () => createModel('resnet8', { seed: 2, inputSize: 8, widths: [4, 8, 8], stemWidth: 4, numClasses: 3, shortcut: 'B' }),
  ],
  ['plain8', () => createModel('plain8', { seed: 3, inputSize: 8, widths: [4, 8, 8], stemWidth: 4, numClasses: 3 })],
  ['resnet50 bottleneck', () => createModel('resnet50', { seed: 4, inputSize: 32, widths: [2, 2, 4, 4], stemWidth: 4, numClasses: 3 })],
];

function batchOf(model: ResNet, n = 4): ImageBatch {
  const { inputSize: s, inputChannels: c } = model.spec;
  const images = Float32Array.from({ length: n * s * s * c }, (_, i) => Math.sin(i * 0.37) + 0.1 * ((i * 7) % 5));
  return {
    images,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    size: n,
    views: 1,
    height: s,
    width: s,
    channels: c,
    indices: Int32Array.from({ length: n }, (_, i) => i),
  };
}

/** The loss, every gradient and every running statistic after one training forward + backward. */
function gradsOf(model: ResNet, batch: ImageBatch): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const x = tf.tensor4d(batch.images, [batch.size, batch.height, batch.width, batch.channels]);
    const labels = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), model.spec.numClasses);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar);
    const out: Record<string, tf.Tensor> = { loss: value };
    for (const [name, v] of model.variables) out[name] = v.trainable ? grads[v.name]! : tf.clone(v);
    return out;
  });
}

describe.each(NETS)('%s', (_, make) => {
  test('fused and composite give the same loss, gradients and running statistics', async () => {
    const batch = batchOf(make());
    withKernels();
    const fusedModel = make();
    const fused = gradsOf(fusedModel, batch);
    unregister!();
    unregister = undefined;
    const compositeModel = make();
    const composite = gradsOf(compositeModel, batch);
    // Normwise: float32 rounding in the composite, amplified by tiny-batch BN backward through up to
    // 50 layers. The problem itself is that sensitive: a 3e-7 relative change of the input moves the
    // composite's own conv1 gradient of the bottleneck net by 4e-3 of its largest element.
    for (const name of Object.keys(composite)) await expectClose(fused[name]!, composite[name]!, name, 1e-3, 1e-4, 'max');
    tf.dispose([...Object.values(fused), ...Object.values(composite)]);
    fusedModel.dispose();
    compositeModel.dispose();
  });

  test('every BN runs the kernel, every ReLU that follows a BN is fused into it, and a trainStep leaves no tensor behind', async () => {
    const model = make();
    const batch = batchOf(model);
    const x = tf.tensor4d(batch.images, [batch.size, batch.height, batch.width, batch.channels]);
    const bns = [...model.variables.keys()].filter((n) => n.endsWith('.running_mean')).length;
    const composite = await kernelsOf(() => model.apply(x, { training: true, updateStats: false }));
    withKernels();
    const fused = await kernelsOf(() => model.apply(x, { training: true, updateStats: false }));
    const count = (names: string[], k: string): number => names.filter((n) => n === k).length;
    expect(count(fused, BATCH_NORM_TRAINING_KERNEL)).toBe(bns);
    expect(count(fused, 'FusedBatchNorm')).toBe(0);
    expect(count(composite, 'FusedBatchNorm')).toBe(bns);
    // What ReLUs remain are those after a shortcut's addition, one per residual block, none in a plain net.
    const blocks = model.plan.stages.reduce((s, st) => s + st.blocks.length, 0);
    expect(count(fused, 'Relu')).toBe(model.spec.shortcut === 'none' ? 0 : blocks);
    expect(count(composite, 'Relu') - count(fused, 'Relu')).toBe(
      1 +
        model.plan.stages.reduce(
          (s, st) => s + st.blocks.reduce((b, bl) => b + bl.convs.length - (model.spec.shortcut === 'none' ? 0 : 1), 0),
          0,
        ),
    );
    x.dispose();

    const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.05 });
    const before = tf.memory().numTensors;
    const first = await trainStep(model, sgd, batch, 0.05);
    expect(tf.memory().numTensors).toBe(before);
    await trainStep(model, sgd, batch, 0.05);
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first.loss)).toBe(true);
    sgd.dispose();
    model.dispose();
  });
});

test('inference mode is untouched by the kernels, and an observer still sees each BN output before its ReLU', async () => {
  withKernels();
  const model = NETS[0]![1]();
  const x = tf.tensor4d(batchOf(model).images, [4, 8, 8, 3]);
  const names = await kernelsOf(() => model.predict(x));
  expect(names).not.toContain(BATCH_NORM_TRAINING_KERNEL);
  expect(names).toContain('FusedBatchNorm');

  let stemMin = Infinity;
  const features = tf.tidy(() => {
    const result = backbone(model.plan, (n) => model.variables.get(n)!, x, {
      training: true,
      bnEpsilon: 1e-5,
      onConvBn: (plan, y) => {
        if (plan.name === 'conv1') stemMin = tf.min(y).dataSync()[0]!;
      },
    });
    return result.features['conv1']!;
  });
  expect(stemMin).toBeLessThan(0); // before the ReLU
  expect(tf.min(features).dataSync()[0]).toBe(0); // after it
  tf.dispose([x, features]);
  model.dispose();
});
