// The package's own C kernels (csrc/, wasm/) on the wasm backend: core's fused batch norm and its
// gradient against a float64 evaluation of the contract and against the cpu backend's composite ops;
// AddRelu / ReluGrad, the SGD update and the per-channel broadcasts against cpu, bit for bit; the
// shapes they refuse, and the buffers they leave behind.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { SGD, addRelu, batchNormTraining, hasFusedAddRelu, hasFusedBatchNormTraining, useBackend } from '@resnet/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { channelBroadcast } from '../src/kernels/ChannelBinary.js';
import { wasmBackend } from '../src/node.js';
import { expectSameAsCpu, randomInput, randomValues, type Input } from './helpers.js';

const EPSILON = 1e-5;

beforeAll(async () => {
  await useBackend('wasm');
});

async function onBackend(backend: 'cpu' | 'wasm'): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
}

test('the module loaded on the backend, and core sees its fused kernels', async () => {
  const status = await wasmBackend.probe();
  expect(status.details!['ownKernels']).toMatch(/^loaded: resnet-kernels-(threaded-)?simd\.wasm from .*wasm[\\/]resnet-kernels/);
  expect(status.warnings).toBeUndefined();
  expect(hasFusedBatchNormTraining('wasm')).toBe(true);
  expect(hasFusedAddRelu('wasm')).toBe(true);
  expect(tf.getKernel('ResNetSgdMomentum', 'wasm')).toBeDefined();
  // cpu has none of them: it is the composite reference below.
  expect(hasFusedBatchNormTraining('cpu')).toBe(false);
});

// ---- batch norm ---------------------------------------------------------------------------------

type Shape = [number, number, number, number];

interface BnCase {
  shape: Shape;
  relu: boolean;
}

const BN_CASES: BnCase[] = [
  { shape: [2, 5, 3, 4], relu: false },
  { shape: [2, 5, 3, 4], relu: true },
  { shape: [3, 4, 4, 1], relu: true }, // C = 1: the scalar channel loop only
  { shape: [1, 7, 5, 6], relu: false }, // a vector of channels and a tail of 2
  { shape: [4, 1, 1, 2], relu: true },
  { shape: [1, 1, 1, 3], relu: false }, // N·H·W = 1
  { shape: [8, 8, 8, 16], relu: true }, // ResNet-20's first stage, 512 rows: several row blocks
  { shape: [3, 9, 7, 19], relu: true }, // 189 rows (a partial row block), 19 channels (tail of 3)
  { shape: [16, 16, 17, 24], relu: true }, // 4,352 rows: 8 chunks of sums and 17 blocks on the thread pool
];

interface BnInputs {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
}

function bnInputs({ shape }: BnCase, seed: number): BnInputs {
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape[3];
  // A mean away from 0 (0.5) and a spread of 2, as after a convolution; β around 0 so the ReLU cuts.
  return {
    x: randomValues(size, seed).map((v) => 2 * v + 0.5),
    gamma: randomValues(c, seed + 1).map((v) => 1 + 0.5 * v),
    beta: randomValues(c, seed + 2).map((v) => 0.5 * v),
    dy: randomValues(size, seed + 3),
  };
}

/** The contract of core's blocks/batch_norm_training.ts in float64, from the float32 inputs. */
function bnReference({ shape, relu }: BnCase, { x, gamma, beta, dy }: BnInputs) {
  const c = shape[3];
  const rows = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j]! += x[r * c + j]! / rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) variance[j]! += (x[r * c + j]! - mean[j]!) ** 2 / rows;
  const inv = variance.map((v) => 1 / Math.sqrt(v + EPSILON));
  const y = new Float64Array(x.length);
  const g = new Float64Array(x.length);
  const dOffset = new Float64Array(c);
  const dScale = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const j = i % c;
    const xHat = (x[i]! - mean[j]!) * inv[j]!;
    const v = gamma[j]! * xHat + beta[j]!;
    y[i] = relu ? Math.max(v, 0) : v;
    g[i] = relu && !(y[i]! > 0) ? 0 : dy[i]!;
    dOffset[j]! += g[i]!;
    dScale[j]! += g[i]! * xHat;
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % c;
    const xHat = (x[i]! - mean[j]!) * inv[j]!;
    dx[i] = ((gamma[j]! * inv[j]!) / rows) * (rows * g[i]! - dOffset[j]! - xHat * dScale[j]!);
  }
  return { y, mean, variance, dx, dScale, dOffset };
}

/** Largest |a − b| over the largest |b| (at least 1). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  }
  return worst / scale;
}

/**
 * Against float64: the forward rounds x − mean, its product with γ·invstd and the sum with β to
 * float32 (a few ulps of values ≲ 4) after statistics that are float64 sums rounded once; the
 * gradient rounds g − Σg/M, (x − mean)·k, their difference and the product with γ·invstd. Measured
 * at most 1.4e-7 (forward) and 1.6e-7 (gradient) of max(1, |value|) on these cases; a wrong term (a
 * missing mean, the unbiased variance, an unmasked dy, a k off by invstd) is off by ≥ 1e-2.
 */
const BN_FORWARD_VS_F64 = 5e-7;
const BN_GRADIENT_VS_F64 = 1e-6;
/** Against cpu's composite: the conformance suite's BN tolerance (its float32 dx cancels, ~1e-4). */
const BN_VS_CPU = { rtol: 1e-3, atol: 1e-4 };

describe('ResNetBatchNormTraining and its gradient (csrc/batch_norm.c)', () => {
  test.each(BN_CASES.map((c, i) => ({ ...c, seed: 100 + 10 * i, name: `[${c.shape.join(', ')}]${c.relu ? ' + relu' : ''}` })))(
    '$name equals the contract in float64',
    async (bn) => {
      await onBackend('wasm');
      const inputs = bnInputs(bn, bn.seed);
      const ref = bnReference(bn, inputs);
      const c = bn.shape[3];
      const x = tf.tensor4d(inputs.x, bn.shape);
      const scale = tf.tensor1d(inputs.gamma);
      const offset = tf.tensor1d(inputs.beta);
      const dy = tf.tensor4d(inputs.dy, bn.shape);
      const buffers = tf.backend().numDataIds();
      const attrs = { varianceEpsilon: EPSILON, relu: bn.relu };
      const [y, mean, variance] = tf.engine().runKernel<tf.Tensor[]>('ResNetBatchNormTraining', { x, scale, offset }, attrs);
      const [dx, dScale, dOffset] = tf
        .engine()
        .runKernel<tf.Tensor[]>('ResNetBatchNormTrainingGrad', { dy, x, scale, mean: mean!, variance: variance!, y: y! }, attrs);
      // Six outputs and no scratch left behind.
      expect(tf.backend().numDataIds()).toBe(buffers + 6);
      expect(y!.shape).toEqual(bn.shape);
      expect(mean!.shape).toEqual([c]);
      expect(dScale!.shape).toEqual([c]);
      expect(relativeError(await mean!.data(), ref.mean)).toBeLessThanOrEqual(BN_FORWARD_VS_F64);
      expect(relativeError(await variance!.data(), ref.variance)).toBeLessThanOrEqual(BN_FORWARD_VS_F64);
      expect(relativeError(await y!.data(), ref.y)).toBeLessThanOrEqual(BN_FORWARD_VS_F64);
      expect(relativeError(await dOffset!.data(), ref.dOffset)).toBeLessThanOrEqual(BN_GRADIENT_VS_F64);
      expect(relativeError(await dScale!.data(), ref.dScale)).toBeLessThanOrEqual(BN_GRADIENT_VS_F64);
      expect(relativeError(await dx!.data(), ref.dx)).toBeLessThanOrEqual(BN_GRADIENT_VS_F64);
      tf.dispose([x, scale, offset, dy, y!, mean!, variance!, dx!, dScale!, dOffset!]);
      expect(tf.backend().numDataIds()).toBe(buffers - 4);
    },
  );

  /** y, mean, variance and the gradients of Σ y·R through core's batchNormTraining on `backend`. */
  async function throughCore(backend: 'cpu' | 'wasm', bn: BnCase, inputs: BnInputs): Promise<Record<string, Float32Array>> {
    await onBackend(backend);
    const tensors = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const x = tf.tensor4d(inputs.x, bn.shape);
      const gamma = tf.tensor1d(inputs.gamma);
      const beta = tf.tensor1d(inputs.beta);
      const r = tf.tensor4d(inputs.dy, bn.shape);
      const { y, mean, variance } = batchNormTraining(x, gamma, beta, EPSILON, bn.relu);
      const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(batchNormTraining(a as tf.Tensor4D, g, b, EPSILON, bn.relu).y, r)),
      )([x, gamma, beta]);
      return { y, mean, variance, dx: dx!, dGamma: dGamma!, dBeta: dBeta! };
    });
    const values: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(out)) values[name] = (await t.data()) as Float32Array;
    tf.dispose(Object.values(out));
    expect(tf.memory().numTensors, `${backend}: tensors after the forward and backward`).toBe(tensors);
    return values;
  }

  test.each(BN_CASES.map((c, i) => ({ ...c, seed: 300 + 10 * i, name: `[${c.shape.join(', ')}]${c.relu ? ' + relu' : ''}` })))(
    "$name through core's batchNormTraining matches the cpu backend's composite ops",
    async (bn) => {
      const inputs = bnInputs(bn, bn.seed);
      const cpu = await throughCore('cpu', bn, inputs);
      const wasm = await throughCore('wasm', bn, inputs);
      for (const name of Object.keys(cpu)) {
        const e = cpu[name]!;
        const a = wasm[name]!;
        for (let i = 0; i < e.length; i++)
          expect(Math.abs(a[i]! - e[i]!), `${name}[${i}]: ${a[i]} against ${e[i]}`).toBeLessThanOrEqual(
            BN_VS_CPU.atol + BN_VS_CPU.rtol * Math.abs(e[i]!),
          );
      }
    },
  );

  test('the fused kernels run in a training step (tf.profile)', async () => {
    await onBackend('wasm');
    const { kernelNames } = await tf.profile(() =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
        return tf.grad((a: tf.Tensor) => tf.sum(batchNormTraining(a as tf.Tensor4D, tf.ones([8]), tf.zeros([8]), EPSILON, true).y))(x);
      }),
    );
    expect(kernelNames).toEqual(expect.arrayContaining(['ResNetBatchNormTraining', 'ResNetBatchNormTrainingGrad']));
    expect(kernelNames).not.toContain('FusedBatchNorm');
  });

  test('bad shapes and attributes are refused in TypeScript, naming the value, before any output exists', async () => {
    await onBackend('wasm');
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => () => tf.engine().runKernel(name, inputs, attrs);
    const ok = { varianceEpsilon: EPSILON, relu: false };
    const x = tf.zeros([2, 3, 3, 4]);
    const c4 = tf.zeros([4]);
    const c3 = tf.zeros([3]);
    const matrix = tf.zeros([6, 4]);
    const empty = tf.zeros([0, 3, 3, 4]);
    const int = tf.zeros([2, 3, 3, 4], 'int32');
    const dy5 = tf.zeros([2, 3, 3, 5]);
    const buffers = tf.backend().numDataIds();
    expect(run('ResNetBatchNormTraining', { x, scale: c3, offset: c4 }, ok)).toThrow(
      /ResNetBatchNormTraining: scale has shape \[3\], expected \[4\]/,
    );
    expect(run('ResNetBatchNormTraining', { x: matrix, scale: c4, offset: c4 }, ok)).toThrow(/must be a non-empty NHWC/);
    expect(run('ResNetBatchNormTraining', { x: empty, scale: c4, offset: c4 }, ok)).toThrow(
      /non-empty NHWC \[N, H, W, C\] tensor, got shape \[0, 3, 3, 4\]/,
    );
    expect(run('ResNetBatchNormTraining', { x: int, scale: c4, offset: c4 }, ok)).toThrow(/x must be float32, got int32/);
    expect(run('ResNetBatchNormTraining', { x, scale: c4, offset: c4 }, { varianceEpsilon: -1, relu: false })).toThrow(
      /varianceEpsilon must be a finite number ≥ 0, got -1/,
    );
    const grad = { dy: dy5, x, scale: c4, mean: c4, variance: c4, y: x };
    expect(run('ResNetBatchNormTrainingGrad', grad, ok)).toThrow(/dy has shape \[2, 3, 3, 5\], expected \[2, 3, 3, 4\]/);
    expect(run('ResNetBatchNormTrainingGrad', { ...grad, dy: x, y: c4 }, { ...ok, relu: true })).toThrow(
      /y has shape \[4\], expected \[2, 3, 3, 4\]/,
    );
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([x, c4, c3, matrix, empty, int, dy5]);
  });
});

// ---- element-wise ---------------------------------------------------------------------------------

describe('ResNetAddRelu and ResNetReluGrad (csrc/elementwise.c)', () => {
  test.each([
    ['[2, 5, 5, 3] (a vector loop and a tail)', [2, 5, 5, 3]],
    ['[4, 8, 8, 16]', [4, 8, 8, 16]],
    ['[4, 32, 32, 17]: 3 blocks on the thread pool, the last partial', [4, 32, 32, 17]],
    ['[7] (the tail only, partly)', [7]],
  ])("%s: relu(a + b) and its gradient equal cpu's Add, Relu and their gradients, bit for bit", async (_name, shape) => {
    // Bit for bit but for the sign of zero: cpu's ReLU gradient is dy·0, −0 where dy < 0 (+ 0 maps it to 0).
    const a = randomInput(shape, 1);
    const b = randomInput(shape, 2);
    const r = randomInput(shape, 3);
    const run = async (backend: 'cpu' | 'wasm') => {
      await onBackend(backend);
      const tensors = tf.memory().numTensors;
      const [y, ga, gb] = tf.tidy(() => {
        const ta = tf.tensor(a.values as Float32Array, shape);
        const tb = tf.tensor(b.values as Float32Array, shape);
        const tr = tf.tensor(r.values as Float32Array, shape);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(addRelu(p, q), tr)))([ta, tb]);
        return [addRelu(ta, tb), da!, db!];
      });
      const values = [await y.data(), await ga.data(), await gb.data()];
      tf.dispose([y, ga, gb]);
      expect(tf.memory().numTensors).toBe(tensors);
      return values.map((v) => Array.from(v, (e) => e + 0));
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm).toEqual(cpu);
  });

  test('NaN stays NaN, as tf.relu keeps it', async () => {
    await onBackend('wasm');
    const y = tf.engine().runKernel('ResNetAddRelu', { a: tf.tensor([NaN, 1, -3, 2, NaN]), b: tf.tensor([1, NaN, 1, -1, -1]) }, {});
    expect(Array.from(await (y as tf.Tensor).data())).toEqual([NaN, NaN, 0, 1, NaN]);
  });

  test('tensors of two shapes are refused', async () => {
    await onBackend('wasm');
    expect(() => tf.engine().runKernel('ResNetAddRelu', { a: tf.zeros([2, 3]), b: tf.zeros([3, 2]) }, {})).toThrow(
      /ResNetAddRelu: b has shape \[3, 2\], expected \[2, 3\]/,
    );
    expect(() => tf.engine().runKernel('ResNetReluGrad', { dy: tf.zeros([4]), y: tf.zeros([4], 'int32') }, {})).toThrow(
      /ResNetReluGrad: y must be float32, got int32/,
    );
  });
});

describe('ResNetSgdMomentum (csrc/elementwise.c)', () => {
  test.each([0, 1e-4])('equals the five composite ops on cpu bit for bit (weight decay %s), three steps', async (weightDecay) => {
    const results: number[][][] = [];
    // 3·3·16·17 values: vectors and a tail.
    const shape = [3, 3, 16, 17];
    const size = 3 * 3 * 16 * 17;
    for (const backend of ['cpu', 'wasm'] as const) {
      await onBackend(backend);
      const w = tf.variable(tf.tensor(randomValues(size, 30), shape), true, `w_${backend}_${weightDecay}`);
      const sgd = new SGD([{ name: 'layer1.0.conv1.weight', variable: w }], { learningRate: 0.1, momentum: 0.9, weightDecay });
      for (let i = 0; i < 3; i++) {
        const g = tf.tensor(randomValues(size, 31 + i), shape);
        const tensors = tf.memory().numTensors;
        sgd.step({ [w.name]: g });
        expect(tf.memory().numTensors).toBe(tensors);
        g.dispose();
      }
      results.push([Array.from(await w.data()), Array.from(await sgd.velocities.get('layer1.0.conv1.weight')!.data())]);
      sgd.dispose();
      w.dispose();
    }
    expect(results[1]).toEqual(results[0]);
  });

  test('the kernel runs, and refuses parameters of two shapes', async () => {
    await onBackend('wasm');
    const w = tf.zeros([5]);
    const { kernelNames } = await tf.profile(() => {
      const [v, next] = tf
        .engine()
        .runKernel<
          tf.Tensor[]
        >('ResNetSgdMomentum', { variable: w, velocity: w, gradient: w }, { learningRate: 0.1, momentum: 0.9, weightDecay: 0 });
      tf.dispose([v!, next!]);
    });
    expect(kernelNames).toEqual(['ResNetSgdMomentum']);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'ResNetSgdMomentum',
          { variable: w, velocity: tf.zeros([4]), gradient: w },
          { learningRate: 0.1, momentum: 0.9, weightDecay: 0 },
        ),
    ).toThrow(/ResNetSgdMomentum: velocity has shape \[4\], expected \[5\]/);
    expect(() =>
      tf
        .engine()
        .runKernel('ResNetSgdMomentum', { variable: w, velocity: w, gradient: w }, { learningRate: NaN, momentum: 0.9, weightDecay: 0 }),
    ).toThrow(/learningRate must be a finite number, got NaN/);
  });
});

describe('Add, Sub and Multiply with a per-channel vector (csrc/elementwise.c), bit for bit against cpu', () => {
  const ints = (shape: number[]): Input => ({
    values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 7),
    shape,
    dtype: 'int32',
  });
  const cases: Array<[string, Input, Input]> = [
    ['NHWC + [C], C = 16', randomInput([4, 6, 6, 16], 1), randomInput([16], 2)],
    ['[C] first, C = 16', randomInput([16], 3), randomInput([4, 6, 6, 16], 4)],
    ['NHWC and [1, 1, 1, C], C = 19 (a tail of 3)', randomInput([2, 5, 5, 19], 5), randomInput([1, 1, 1, 19], 6)],
    ['8,192 rows of C = 19: 5 blocks on the thread pool', randomInput([8, 32, 32, 19], 7), randomInput([19], 8)],
    ['[1, C] first, C = 3 (the tail only)', randomInput([1, 3], 7), randomInput([5, 4, 3], 8)],
    ['a matrix and its bias, [N, 10] + [10]', randomInput([8, 10], 9), randomInput([10], 10)],
    // The shipped kernel's cases, for the fallback.
    ['same shapes (shipped)', randomInput([4, 8], 11), randomInput([4, 8], 12)],
    ['a column, [N, 1] (shipped)', randomInput([6, 5], 13), randomInput([6, 1], 14)],
    ['a scalar (shipped)', randomInput([3, 4], 15), randomInput([], 16)],
    ['a single row, [1, C] and [C] (shipped)', randomInput([1, 8], 17), randomInput([8], 18)],
    ['int32 (shipped)', ints([3, 4]), ints([4])],
  ];
  for (const kernel of ['Add', 'Sub', 'Multiply']) {
    test.each(cases)(`${kernel}: %s`, async (_name, a, b) => {
      await expectSameAsCpu(kernel, { a, b }, {}, 0);
    });
  }

  test('which cases go to C: a [..., C] tensor with more than one row and a [C] vector (after leading 1s)', () => {
    const t = (shape: number[], dtype: tf.DataType = 'float32') => ({ dataId: {}, shape, dtype });
    const plan = (a: ReturnType<typeof t>, b: ReturnType<typeof t>) => {
      const p = channelBroadcast(a, b);
      return p && { fullIsB: p.fullIsB, rows: p.rows, channels: p.channels };
    };
    expect(plan(t([4, 6, 6, 16]), t([16]))).toEqual({ fullIsB: false, rows: 144, channels: 16 });
    expect(plan(t([1, 1, 1, 19]), t([2, 5, 5, 19]))).toEqual({ fullIsB: true, rows: 50, channels: 19 });
    expect(plan(t([1, 3]), t([5, 4, 3]))).toEqual({ fullIsB: true, rows: 20, channels: 3 });
    for (const [a, b] of [
      [t([4, 8]), t([4, 8])],
      [t([6, 5]), t([6, 1])],
      [t([3, 4]), t([])],
      [t([1, 8]), t([8])],
      [t([8]), t([8])],
      [t([3, 4], 'int32'), t([4], 'int32')],
      [t([2, 3, 4]), t([3, 4])],
    ] as const)
      expect(plan(a, b), `[${a.shape}] and [${b.shape}]`).toBeUndefined();
  });
});
