// The tiny ResNet both comparisons run (in Node and in Chromium): resnet8 with 4-8-8 channels on 8×8
// inputs. It is built and its input drawn on the cpu backend, identically on every call (seeded),
// then run on the backend under test: a prediction, and one training-mode gradient with softmax
// cross-entropy (which also updates the BN running statistics).
import * as tf from '@tensorflow/tfjs-core';
import { createModel, useBackend } from '@resnet/core';
import { expect } from 'vitest';

export const TINY = { name: 'resnet8', widths: [4, 8, 8], stemWidth: 4, inputSize: 8, seed: 1, batch: 4 } as const;

export interface TinyRun {
  readonly backend: string;
  /** predict(x): inference mode, [batch, 10] flattened. */
  readonly logits: number[];
  /** The softmax cross-entropy of apply(x, {training: true}). */
  readonly loss: number;
  /** The loss's gradient for every trainable weight, by weight name. */
  readonly grads: Record<string, number[]>;
  /** Every BN's running_mean and running_var after that training-mode pass. */
  readonly runningStats: Record<string, number[]>;
  /** Wall time of the prediction and the gradient on `backend`, ms. */
  readonly ms: number;
}

export async function runTiny(backend: string): Promise<TinyRun> {
  await useBackend('cpu');
  const model = createModel(TINY.name, {
    widths: [...TINY.widths],
    stemWidth: TINY.stemWidth,
    inputSize: TINY.inputSize,
    seed: TINY.seed,
  });
  const x = tf.randomNormal([TINY.batch, TINY.inputSize, TINY.inputSize, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), model.spec.numClasses);

  await useBackend(backend);
  const start = performance.now();
  const logits = model.predict(x);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar,
    model.trainableVariables(),
  );
  const run: TinyRun = {
    backend: tf.getBackend(),
    logits: Array.from(await logits.data()),
    loss: (await value.data())[0]!,
    grads: {},
    runningStats: {},
    ms: 0,
  };
  for (const [name, variable] of model.variables) {
    const grad = grads[variable.name];
    if (grad) run.grads[name] = Array.from(await grad.data());
    if (/running_(mean|var)$/.test(name)) run.runningStats[name] = Array.from(await variable.data());
  }
  tf.dispose([x, labels, logits, value, ...Object.values(grads)]);
  model.dispose();
  return { ...run, ms: Math.round(performance.now() - start) };
}

export interface Agreement {
  /** max |got − ref| */
  readonly maxAbs: number;
  /** max |got − ref| / |ref| over the elements with |ref| ≥ 1e-3 · max|ref| (relative error is meaningless near 0). */
  readonly maxRel: number;
  /** max |ref| */
  readonly scale: number;
  /** The largest (|got − ref| − atol) / (rtol · |ref|) ratio, as numpy's allclose would judge it. */
  readonly worst: { readonly index: number; readonly ref: number; readonly got: number };
  /** Whether every element has |got − ref| ≤ atol + rtol · |ref|. */
  readonly close: boolean;
  readonly count: number;
}

/** Compares `got` with `ref` elementwise: |got − ref| ≤ atol + rtol·|ref| (numpy's allclose). */
export function agreement(ref: readonly number[], got: readonly number[], rtol: number, atol: number): Agreement {
  if (ref.length !== got.length) throw new Error(`length ${got.length} vs reference ${ref.length}`);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let maxAbs = 0;
  let maxRel = 0;
  let close = true;
  let worst = { index: -1, ref: NaN, got: NaN };
  let worstExcess = -Infinity;
  ref.forEach((r, i) => {
    const g = got[i]!;
    const d = Math.abs(g - r);
    if (!(d <= atol + rtol * Math.abs(r))) close = false; // NaN fails too
    maxAbs = Math.max(maxAbs, d);
    if (Math.abs(r) >= 1e-3 * scale && Math.abs(r) > 0) maxRel = Math.max(maxRel, d / Math.abs(r));
    const excess = d - atol - rtol * Math.abs(r);
    if (excess > worstExcess || Number.isNaN(d)) {
      worstExcess = excess;
      worst = { index: i, ref: r, got: g };
    }
  });
  return { maxAbs, maxRel, scale, worst, close, count: ref.length };
}

/** All of a run's gradients (or statistics) in one array, in the reference's key order. */
export function flatten(values: Record<string, number[]>, keys: readonly string[]): number[] {
  return keys.flatMap((k) => values[k] ?? []);
}

/**
 * Tolerance against the cpu backend (numpy's allclose): |webgpu − cpu| ≤ ATOL·max|cpu| + RTOL·|cpu|.
 * Both backends compute in float32 (ε = 1.2e-7) and differ only in summation order; the tiny net's
 * sums have at most 256 terms (a BN batch of 4×8×8), so reordering moves values by ~1e-6 relative
 * at worst, and measured differences are ≤ 1.5e-7 absolute (see the logged agreement). A wrong
 * kernel is off by the order of the values themselves (the 6-D pad bug gave errors of 1e2).
 */
export const RTOL = 1e-4;
export const ATOL = 1e-5;

export function expectClose(what: string, ref: number[], got: number[]): Agreement {
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const a = agreement(ref, got, RTOL, ATOL * scale);
  console.log(
    `${what}: ${a.count} values, max abs error ${a.maxAbs.toExponential(2)}, max rel error ${a.maxRel.toExponential(2)} ` +
      `(largest |cpu| ${a.scale.toPrecision(3)}; tolerance ${RTOL}·|cpu| + ${(ATOL * scale).toExponential(1)})`,
  );
  expect(a.close, `${what}: element ${a.worst.index} is ${a.worst.got} on webgpu, ${a.worst.ref} on cpu`).toBe(true);
  return a;
}
