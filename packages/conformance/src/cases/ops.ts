/**
 * Every op a ResNet's forward and backward pass uses, alone, on edge shapes (batch 1, odd sizes,
 * stride 2 with padding): forward outputs and gradients. Gradients are taken of Σ f(x)·R with a
 * fixed random R, so every element of the backward pass is exercised.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addRelu, subsample } from '@resnet/core';
import { normal, uniform } from '../prng.js';
import type { CaseOutputs, ConformanceCase, Tolerance } from '../types.js';

/** Forward values: float32 with sums of up to a few hundred products. */
const FORWARD: Tolerance = { rtol: 1e-4, atol: 1e-5, why: 'float32 sums of ≤ 500 products in another order differ by ~1e-6 relative' };
/** Gradients sum over every output position (N·H·W terms for a filter): more rounding. */
const GRADIENT: Tolerance = {
  rtol: 1e-3,
  atol: 1e-4,
  why: 'gradients sum over N·H·W positions (up to ~100 terms of magnitude ~10): float32 order effects reach ~1e-4',
};
/** Pure data movement (pad, slice, max): exact on any backend. */
const EXACT: Tolerance = { rtol: 0, atol: 0, why: 'data movement and comparisons only: no rounding' };
/** Max pooling: the forward pass is exact, but overlapping windows add several upstream gradients into one pixel, in any order. */
const MAX_POOL: Tolerance = {
  rtol: 1e-6,
  atol: 1e-7,
  why: 'overlapping 3×3/2 windows sum up to 4 upstream gradients per pixel: one float32 rounding (~6e-8)',
};

interface OpSpec {
  readonly name: string;
  readonly tolerance: Tolerance;
  /** Inputs by name (built from fixed seeds), and which of them to differentiate. */
  readonly inputs: () => Record<string, tf.Tensor>;
  readonly differentiate: readonly string[];
  readonly f: (x: Record<string, tf.Tensor>) => tf.Tensor;
}

function opCase(spec: OpSpec, seed: number): ConformanceCase {
  return {
    name: spec.name,
    kind: 'op',
    tolerance: spec.tolerance,
    run: async () =>
      tf.tidy(() => {
        const inputs = spec.inputs();
        const y = spec.f(inputs);
        const r = normal(y.shape, seed);
        const outputs: CaseOutputs = { y };
        if (spec.differentiate.length > 0) {
          const names = spec.differentiate;
          const g = tf.grads((...xs: tf.Tensor[]) => {
            const substituted = { ...inputs };
            names.forEach((n, i) => (substituted[n] = xs[i]!));
            return tf.sum(tf.mul(spec.f(substituted), r));
          })(names.map((n) => inputs[n]!));
          names.forEach((n, i) => (outputs[`d${n}`] = g[i]!));
        }
        return outputs;
      }),
  };
}

interface ConvConfig {
  readonly batch: number;
  readonly size: number;
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number | 'valid' | 'same';
}

function convCase(c: ConvConfig, seed: number): ConformanceCase {
  const padText = typeof c.pad === 'number' ? `pad ${c.pad}` : c.pad;
  return opCase(
    {
      name: `conv2d ${c.kernel}×${c.kernel}/${c.stride} ${padText} [${c.batch},${c.size},${c.size},${c.inC}]→${c.outC} (+dx, dw)`,
      tolerance: GRADIENT,
      inputs: () => ({
        x: normal([c.batch, c.size, c.size, c.inC], seed),
        w: normal([c.kernel, c.kernel, c.inC, c.outC], seed + 1, Math.sqrt(2 / (c.kernel * c.kernel * c.inC))),
      }),
      differentiate: ['x', 'w'],
      f: ({ x, w }) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad),
    },
    seed + 2,
  );
}

export function opCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [
    // The convolutions of a ResNet: 3×3/1 and /2 with padding 1, 1×1/2 projections, the 7×7/2 stem; odd sizes.
    convCase({ batch: 1, size: 5, inC: 3, outC: 4, kernel: 3, stride: 1, pad: 1 }, 100),
    convCase({ batch: 2, size: 7, inC: 3, outC: 5, kernel: 3, stride: 2, pad: 1 }, 110),
    convCase({ batch: 2, size: 8, inC: 4, outC: 4, kernel: 3, stride: 2, pad: 1 }, 120),
    convCase({ batch: 2, size: 6, inC: 4, outC: 8, kernel: 1, stride: 2, pad: 'valid' }, 130),
    convCase({ batch: 1, size: 9, inC: 2, outC: 3, kernel: 7, stride: 2, pad: 3 }, 140),
    convCase({ batch: 3, size: 5, inC: 2, outC: 3, kernel: 3, stride: 1, pad: 'valid' }, 150),
    convCase({ batch: 1, size: 7, inC: 3, outC: 2, kernel: 3, stride: 2, pad: 'same' }, 160),
  ];

  // Batch norm, inference mode (running statistics) and training mode (batch moments), with gradients.
  const bnInputs = (seed: number) => () => ({
    x: normal([2, 5, 3, 4], seed, 2),
    gamma: uniform([4], seed + 1, 0.5, 1.5),
    beta: normal([4], seed + 2, 0.1),
    mean: normal([4], seed + 3, 0.5),
    variance: uniform([4], seed + 4, 0.5, 1.5),
  });
  cases.push(
    opCase(
      {
        name: 'batchNorm inference [2,5,3,4] (+dx, dγ, dβ)',
        tolerance: FORWARD,
        inputs: bnInputs(200),
        differentiate: ['x', 'gamma', 'beta'],
        f: ({ x, gamma, beta, mean, variance }) => tf.batchNorm(x!, mean!, variance!, beta!, gamma!, 1e-5),
      },
      205,
    ),
    opCase(
      {
        name: 'batchNorm training (batch moments) [2,5,3,4] (+dx, dγ, dβ)',
        tolerance: GRADIENT,
        inputs: bnInputs(210),
        differentiate: ['x', 'gamma', 'beta'],
        f: ({ x, gamma, beta }) => {
          const { mean, variance } = tf.moments(x!, [0, 1, 2]);
          return tf.batchNorm(x!, mean, variance, beta!, gamma!, 1e-5);
        },
      },
      215,
    ),
    opCase(
      {
        name: 'relu [2,5,5,3] (+dx)',
        tolerance: EXACT,
        inputs: () => ({ x: normal([2, 5, 5, 3], 300) }),
        differentiate: ['x'],
        f: ({ x }) => tf.relu(x!),
      },
      305,
    ),
    // The end of a residual block, through core's addRelu: one fused kernel where the backend has
    // it (oneDNN), relu(add) elsewhere; exact either way (one rounding, then a comparison).
    opCase(
      {
        name: 'residual add + relu [2,5,5,3] (+da, db)',
        tolerance: EXACT,
        inputs: () => ({ a: normal([2, 5, 5, 3], 306), b: normal([2, 5, 5, 3], 307) }),
        differentiate: ['a', 'b'],
        f: ({ a, b }) => addRelu(a!, b!),
      },
      308,
    ),
    opCase(
      {
        name: 'add, same shape and broadcast [2,4,4,3]+[3] (+da, db)',
        tolerance: FORWARD,
        inputs: () => ({ a: normal([2, 4, 4, 3], 310), b: normal([3], 311) }),
        differentiate: ['a', 'b'],
        f: ({ a, b }) => tf.add(tf.add(a!, b!), a!),
      },
      315,
    ),
    opCase(
      {
        name: 'maxPool 3×3/2 pad 1 [2,7,7,3] (+dx)',
        tolerance: MAX_POOL,
        inputs: () => ({ x: normal([2, 7, 7, 3], 400) }),
        differentiate: ['x'],
        f: ({ x }) => tf.maxPool(x as tf.Tensor4D, 3, 2, 1),
      },
      405,
    ),
    opCase(
      {
        name: 'maxPool 3×3/2 pad 1 [1,8,8,2] (+dx)',
        tolerance: MAX_POOL,
        inputs: () => ({ x: normal([1, 8, 8, 2], 410) }),
        differentiate: ['x'],
        f: ({ x }) => tf.maxPool(x as tf.Tensor4D, 3, 2, 1),
      },
      415,
    ),
    opCase(
      {
        name: 'avgPool 2×2/2 valid [2,6,6,3] (+dx)',
        tolerance: FORWARD,
        inputs: () => ({ x: normal([2, 6, 6, 3], 420) }),
        differentiate: ['x'],
        f: ({ x }) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
      },
      425,
    ),
    opCase(
      {
        name: 'global average pool (mean over H, W) [2,5,3,4] (+dx)',
        tolerance: FORWARD,
        inputs: () => ({ x: normal([2, 5, 3, 4], 430) }),
        differentiate: ['x'],
        f: ({ x }) => tf.mean(x!, [1, 2]),
      },
      435,
    ),
    opCase(
      {
        name: 'option-A shortcut: subsample /2 + zero-pad channels, odd size [2,7,7,3]→8 (+dx)',
        tolerance: EXACT,
        inputs: () => ({ x: normal([2, 7, 7, 3], 500) }),
        differentiate: ['x'],
        f: ({ x }) =>
          tf.pad(subsample(x as tf.Tensor4D, 2), [
            [0, 0],
            [0, 0],
            [0, 0],
            [2, 3],
          ]),
      },
      505,
    ),
    opCase(
      {
        name: 'option-A shortcut: subsample /2 + zero-pad channels, even size [1,8,8,4]→8 (+dx)',
        tolerance: EXACT,
        inputs: () => ({ x: normal([1, 8, 8, 4], 510) }),
        differentiate: ['x'],
        f: ({ x }) =>
          tf.pad(subsample(x as tf.Tensor4D, 2), [
            [0, 0],
            [0, 0],
            [0, 0],
            [2, 2],
          ]),
      },
      515,
    ),
    opCase(
      {
        name: 'matMul [3,16]×[16,10] + bias (+da, dW, db)',
        tolerance: FORWARD,
        inputs: () => ({ a: normal([3, 16], 600), w: normal([16, 10], 601, 0.25), b: normal([10], 602) }),
        differentiate: ['a', 'w', 'b'],
        f: ({ a, w, b }) => tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), b!),
      },
      605,
    ),
    opCase(
      {
        name: 'softmax cross-entropy [4,10] one-hot labels (+dlogits)',
        tolerance: FORWARD,
        inputs: () => ({ logits: normal([4, 10], 700, 3), labels: tf.oneHot(tf.tensor1d([0, 3, 9, 3], 'int32'), 10) }),
        differentiate: ['logits'],
        f: ({ logits, labels }) => tf.losses.softmaxCrossEntropy(labels!, logits!),
      },
      705,
    ),
  );
  return cases;
}
