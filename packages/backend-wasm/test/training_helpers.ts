// One training step on a backend, and the comparison of two such steps (wasm against cpu), shared
// by the training tests (default threads, and one thread).
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainableParams, type CreateOptions } from '@resnet/core';
import { expect } from 'vitest';
import { randomValues } from './helpers.js';

export interface StepResult {
  loss: number;
  /** Every variable after the step (weights, BN γ/β and running statistics). */
  after: Map<string, Float32Array>;
  before: Map<string, Float32Array>;
}

async function readAll(vars: ReadonlyMap<string, tf.Variable>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of vars) out.set(name, (await v.data()) as Float32Array);
  return out;
}

/** One step on `backend`; also checks that it leaves exactly the tensors it found. */
export async function trainStep(backend: string, name: string, options: CreateOptions, batch: number): Promise<StepResult> {
  await tf.setBackend(backend);
  const model = createModel(name, { seed: 7, ...options });
  const { inputSize: size, inputChannels: channels, numClasses } = model.spec;
  const x = tf.tensor4d(randomValues(batch * size * size * channels, 11), [batch, size, size, channels]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => (i * 3) % numClasses),
      'int32',
    ),
    numClasses,
  );
  const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const before = await readAll(model.variables);

  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar);
  sgd.step(grads);
  const loss = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  expect(tf.memory().numTensors, `${backend}: tensors after one step`).toBe(tensors);
  expect(tf.backend().numDataIds(), `${backend}: backend buffers after one step`).toBe(buffers);

  const after = await readAll(model.variables);
  tf.dispose([x, labels]);
  sgd.dispose();
  model.dispose();
  return { loss, before, after };
}

/**
 * The loss is a forward pass: float32 rounding in another summation order, 1e-5 relative.
 * The parameters are compared by their change in this step, w' − w = −lr·(g + wd·w), each within a
 * fraction of the largest change of its tensor. The gradients come through up to 50 layers of
 * float32 backpropagation, and batch norm's backward pass subtracts nearly equal numbers, so the
 * cpu backend's own updates move by up to 2.5e-4 of that scale when the input changes by 3e-7
 * (measured on these nets); 2e-3 leaves 8× that for wasm's other summation order, while a wrong
 * kernel (a transposed filter, a shifted tap, a lost pool window) moves updates by O(1) of it.
 * The nets are sized so that every BN layer normalizes over at least 64 values per channel: with
 * fewer (a 1×1 last stage at batch 2) the cpu backend's own sensitivity rises to 1e-2.
 * Running statistics (0.9·old + 0.1·batch statistic) carry the forward pass's error at each layer,
 * which grows through the stages like the gradients' (1e-5 … 2e-4 of the O(1) activations at the
 * last stage, on cpu alone, for the same 3e-7 input change): 1e-4 of max(1, their largest value).
 */
const LOSS_TOLERANCE = 1e-5;
const UPDATE_TOLERANCE = 2e-3;
const STATS_TOLERANCE = 1e-4;

export function compare(wasm: StepResult, cpu: StepResult): void {
  expect(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThanOrEqual(LOSS_TOLERANCE);
  expect(Number.isFinite(wasm.loss)).toBe(true);
  for (const [name, expected] of cpu.after) {
    const actual = wasm.after.get(name)!;
    const start = cpu.before.get(name)!;
    expect(Array.from(wasm.before.get(name)!), `${name}: both models start from the same weights`).toEqual(Array.from(start));
    const stats = name.endsWith('running_mean') || name.endsWith('running_var');
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, stats ? Math.abs(expected[i]!) : Math.abs(expected[i]! - start[i]!));
      worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    }
    const allowed = stats ? STATS_TOLERANCE * Math.max(1, scale) : UPDATE_TOLERANCE * scale;
    expect(worst, `${name}: differs by ${worst} where its ${stats ? 'values reach' : 'update reaches'} ${scale}`).toBeLessThanOrEqual(
      allowed,
    );
  }
}
