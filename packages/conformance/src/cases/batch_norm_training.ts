/**
 * Training-mode BN (+ ReLU) as the network runs it, through core's `batchNormTraining`: the fused
 * `ResNetBatchNormTraining` kernel and its gradient kernel on a backend that registers them (oneDNN),
 * the composite tfjs ops elsewhere. Forward (y, batch mean, biased variance) and gradients of Σ y·R
 * (fixed random R) for x, γ, β, on edge shapes, against the cpu reference, which has no fused kernel:
 * on a backend with one, the fused kernel is checked against cpu's composite. A second set compares
 * the two paths on the backend under test itself; where it has no kernel both are the same ops, and
 * the case says so in its note rather than pass as a check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining, batchNormTrainingComposite, hasFusedBatchNormTraining } from '@resnet/core';
import { normal, uniform } from '../prng.js';
import type { CaseOutputs, ConformanceCase, Tolerance } from '../types.js';

const EPSILON = 1e-5;

/**
 * As the composite batch-norm op case: the gradients sum over N·H·W ≤ 35 positions, and dx is
 * γ·invstd/M·(M·g − Σg − x̂·Σg·x̂), a difference of nearly equal terms, so float32 order effects
 * reach ~1e-4; forward values are well inside that.
 */
const BN_TRAINING: Tolerance = {
  rtol: 1e-3,
  atol: 1e-4,
  why: 'gradients sum over N·H·W positions and dx is a difference of nearly equal terms: float32 order effects reach ~1e-4',
};

/**
 * One value per channel (N·H·W = 1): x is its own mean, so y = β and the exact dx is 0, but the
 * composite computes it as dy·γ/√ε − dy·γ/√ε with 1/√ε ≈ 316: rounding noise of ~316·|dy·γ|·2⁻²⁴
 * (6e-5 measured on cpu), which a fused kernel does not have.
 */
const SINGLE_VALUE: Tolerance = {
  rtol: 1e-3,
  atol: 5e-4,
  why: "N·H·W = 1: the exact dx is 0, the composite's is rounding noise of ~316·|dy·γ|·6e-8 (6e-5 measured)",
};

/**
 * The two paths on one backend, so the expected difference is exactly 0 (cpu: the same ops twice).
 * Values are ≲ 10 in magnitude: float32 results of different summation orders differ by ~1e-6
 * forward and ~1e-5 in the gradients (fused in float64 vs composite on cpu: ≤ 5e-7); N·H·W = 1 adds
 * the composite's dx noise above.
 */
const SAME_BACKEND: Tolerance = {
  rtol: 0,
  atol: 5e-4,
  why: "difference of two float32 computations of values ≲ 10 (~1e-5), plus the composite's dx noise when N·H·W = 1 (6e-5)",
};

type Shape = [number, number, number, number];
type Path = typeof batchNormTraining;

const SHAPES: readonly Shape[] = [
  [2, 5, 3, 4],
  [3, 4, 4, 1], // C = 1
  [1, 7, 5, 6], // batch 1, odd sizes
  [4, 1, 1, 2], // H = W = 1, as at the end of a small-input ImageNet net
  [1, 1, 1, 3], // N·H·W = 1
];

const shapeText = (s: Shape): string => `[${s.join(',')}]`;
const count = (s: Shape): number => s[0] * s[1] * s[2];

/** y, mean, variance and the gradients of Σ y·R for x, γ, β through `path`. */
function outputs(path: Path, shape: Shape, relu: boolean, seed: number): Record<string, tf.Tensor> {
  const c = shape[3];
  const x = tf.add(normal(shape, seed, 2), 0.5) as tf.Tensor4D;
  const gamma = uniform([c], seed + 1, 0.5, 1.5);
  // β around 0, so the ReLU cuts a good share of the outputs.
  const beta = normal([c], seed + 2, 0.5);
  const r = normal(shape, seed + 3);
  const { y, mean, variance } = path(x, gamma, beta, EPSILON, relu);
  const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(path(a as tf.Tensor4D, g, b, EPSILON, relu).y, r)),
  )([x, gamma, beta]);
  return { y, mean, variance, dx: dx!, dγ: dgamma!, dβ: dbeta! };
}

function againstReference(shape: Shape, relu: boolean, seed: number): ConformanceCase {
  return {
    name: `batchNormTraining${relu ? ' + relu' : ''} ${shapeText(shape)} (y, mean, variance, +dx, dγ, dβ)`,
    kind: 'op',
    tolerance: count(shape) === 1 ? SINGLE_VALUE : BN_TRAINING,
    run: async () => tf.tidy(() => outputs(batchNormTraining, shape, relu, seed)),
    note: () => (hasFusedBatchNormTraining() ? 'fused kernel' : undefined),
  };
}

function fusedAgainstComposite(shape: Shape, relu: boolean, seed: number): ConformanceCase {
  return {
    name: `batchNormTraining${relu ? ' + relu' : ''} ${shapeText(shape)}: fused − composite on the same backend`,
    kind: 'op',
    tolerance: SAME_BACKEND,
    run: async () =>
      tf.tidy(() => {
        const fused = outputs(batchNormTraining, shape, relu, seed);
        const composite = outputs(batchNormTrainingComposite, shape, relu, seed);
        const diff: CaseOutputs = {};
        for (const name of Object.keys(composite)) diff[`${name} (fused − composite)`] = tf.sub(fused[name]!, composite[name]!);
        return diff;
      }),
    note: () =>
      hasFusedBatchNormTraining()
        ? undefined
        : 'composite only: no fused kernel on this backend, so both sides ran the same ops (not a check of a kernel)',
  };
}

/** Training-mode BN through core's batchNormTraining against cpu (every edge shape, ReLU on and off), then fused against composite on the backend under test. */
export function batchNormTrainingCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  SHAPES.forEach((shape, i) => {
    for (const relu of [false, true]) cases.push(againstReference(shape, relu, 800 + 10 * i + (relu ? 5 : 0)));
  });
  // The paths against each other: a shape of each kind is enough, the reference cases cover the rest.
  for (const [shape, relu] of [
    [SHAPES[0]!, true],
    [SHAPES[1]!, false],
    [SHAPES[4]!, true],
  ] as const)
    cases.push(fusedAgainstComposite(shape, relu, 900 + count(shape)));
  return cases;
}
