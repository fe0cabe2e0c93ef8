// Every native kernel against tfjs's cpu backend on the shapes a ResNet makes and on edge cases.
// Tolerances: float32 sums taken in another order (oneDNN's blocked GEMM/convolution) differ from
// the cpu backend's by a few ulps per term, so results are compared at rtol 1e-4, atol 1e-5 (the
// conformance suite's figures for convolutions); element-wise kernels must be exact.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { both, expectClose, skipReason, type Spec } from './helpers.js';
import '../src/index.js';
import { registerOneDnn } from '../src/register.js';
import { loadNative } from '../src/native.js';

if (!skipReason) registerOneDnn(loadNative().addon!);

const RTOL = 1e-4;
const ATOL = 1e-5;

async function check(
  specs: Spec[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  what: string,
  rtol = RTOL,
  atol = ATOL,
): Promise<void> {
  const r = await both(specs, f);
  r.cpu.forEach((c, i) => expectClose(r.onednn[i]!, c, rtol, atol, `${what} output ${i}`));
}

const t4 = (shape: number[], seed: number, scale = 1): Spec => ({ shape, seed, scale });

describe.skipIf(skipReason !== undefined)('onednn kernels match the cpu backend', () => {
  // [input NHWC, filter HWIO, stride, pad, dilation]
  const convs: [number[], number[], number, 'same' | 'valid' | number, number][] = [
    [[4, 8, 8, 16], [3, 3, 16, 16], 1, 'same', 1], // CIFAR 3×3
    [[4, 8, 8, 16], [3, 3, 16, 32], 2, 'same', 1], // first conv of a stage
    [[4, 8, 8, 16], [1, 1, 16, 32], 2, 'valid', 1], // option B projection
    [[2, 20, 20, 3], [7, 7, 3, 8], 2, 3, 1], // ImageNet stem, explicit pad 3
    [[1, 5, 7, 1], [2, 3, 1, 3], 1, 'valid', 1], // C = 1, non-square
    [[2, 9, 9, 4], [3, 3, 4, 5], 1, 'same', 2], // dilated
    [[3, 9, 9, 5], [3, 3, 5, 7], 2, 'valid', 1], // a remainder row and column
  ];
  test.each(convs)('Conv2D %j * %j stride %d pad %s dilation %d, and both gradients', async (xs, ws, stride, pad, dilation) => {
    const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad, 'NHWC', dilation);
    await check([t4(xs, 1), t4(ws, 2)], conv, 'conv2d');
    if (dilation === 1) {
      await check(
        [t4(xs, 1), t4(ws, 2)],
        (x, w) => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), tf.sin(conv(a, b)))));
          return g([x!, w!]);
        },
        'conv2d gradients',
      );
    }
  });

  test('FusedConv2D with bias and ReLU, and with neither', async () => {
    await check(
      [t4([2, 8, 8, 16], 3), t4([3, 3, 16, 8], 4), t4([8], 5)],
      (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
      'fused conv',
    );
    await check(
      [t4([2, 8, 8, 16], 3), t4([1, 1, 16, 8], 4)],
      (x, w) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'valid' }),
      'fused conv linear',
    );
  });

  test('reordered weights follow the tensor: new weights give new results, disposal frees the cache', async () => {
    await tf.setBackend('onednn');
    const addon = loadNative().addon!;
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 6 * 6 * 16 }, (_, i) => Math.sin(i)),
      [2, 6, 6, 16],
    );
    const before = addon.info().cachedWeights;
    const w1 = tf.fill([3, 3, 16, 16], 0.5);
    const y1 = await tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same').data();
    expect(addon.info().cachedWeights).toBeGreaterThan(before);
    w1.dispose();
    expect(addon.info().cachedWeights).toBe(before);
    const w2 = tf.fill([3, 3, 16, 16], -0.25);
    const y2 = await tf.conv2d(x, w2 as tf.Tensor4D, 1, 'same').data();
    for (let i = 0; i < y1.length; i += 97) expect(y2[i]).toBeCloseTo(-0.5 * y1[i]!, 3);
    tf.dispose([x, w2]);
  });

  const bnShapes = [
    [4, 8, 8, 16],
    [2, 3, 5, 7],
    [1, 1, 1, 3],
    [8, 4, 4, 64],
  ];
  test.each(bnShapes)('FusedBatchNorm (inference) on [%d, %d, %d, %d]', async (n, h, w, c) => {
    await check(
      [t4([n, h, w, c], 6), t4([c], 7), { shape: [c], seed: 8, scale: 0.5, offset: 1 }, t4([c], 9), t4([c], 10)],
      (x, m, v, b, g) => tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3),
      'batchNorm',
    );
  });

  test('MaxPool and AvgPool with their gradients (3×3 stride 2 same, 2×2 valid, global average)', async () => {
    const dy = (shape: number[]) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i)),
        shape,
      );
    await check(
      [t4([2, 9, 9, 5], 11)],
      (x) => {
        const p = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 2, 'same');
        return [p(x!), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(p(a), dy([2, 5, 5, 5]))))(x!)];
      },
      'maxPool 3×3/2',
    );
    await check(
      [t4([2, 8, 8, 3], 12)],
      (x) => {
        const p = (a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, 2, 2, 'valid');
        return [p(x!), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(p(a), dy([2, 4, 4, 3]))))(x!)];
      },
      'avgPool 2×2/2',
    );
    await check(
      [t4([4, 8, 8, 64], 13)],
      (x) => {
        const p = (a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, 8, 1, 'valid');
        return [p(x!), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(p(a), dy([4, 1, 1, 64]))))(x!)];
      },
      'global avgPool',
    );
  });

  test('MaxPool ties go to the first maximum and all-negative windows keep their gradient', async () => {
    await check(
      [{ shape: [1, 4, 4, 2], seed: 1, scale: 0, offset: -3 }],
      (x) => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(x!),
      'maxPool ties',
    );
  });

  test('AvgPoolGrad on padded windows is the gradient of the forward (in-bounds count), where the cpu kernel divides by the whole window', async () => {
    // tfjs's cpu AvgPool divides each window by the pixels inside the image, but its AvgPoolGrad by
    // filterHeight·filterWidth: the two disagree on padded windows. Ours is checked against the
    // gradient of the forward by central differences instead.
    await tf.setBackend('onednn');
    const x = tf.tensor4d(
      Float32Array.from({ length: 1 * 5 * 5 * 2 }, (_, i) => Math.sin(i)),
      [1, 5, 5, 2],
    );
    const w = tf.tensor4d(
      Float32Array.from({ length: 1 * 3 * 3 * 2 }, (_, i) => Math.cos(i)),
      [1, 3, 3, 2],
    );
    const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, 3, 2, 'same'), w));
    const g = await tf.grad(f)(x).data();
    const xv = await x.data();
    const h = 1e-2;
    for (const i of [0, 7, 12, 24, 49]) {
      const plus = Float32Array.from(xv);
      const minus = Float32Array.from(xv);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = ((await f(tf.tensor4d(plus, x.shape)).data())[0]! - (await f(tf.tensor4d(minus, x.shape)).data())[0]!) / (2 * h);
      expect(g[i]).toBeCloseTo(numeric, 3);
    }
    tf.dispose([x, w]);
  });

  const broadcasts: [number[], number[]][] = [
    [
      [4, 8, 8, 16],
      [4, 8, 8, 16],
    ],
    [[4, 8, 8, 16], [16]],
    [[16], [4, 8, 8, 16]],
    [
      [128, 1, 1, 64],
      [128, 8, 8, 64],
    ], // the global average pool's gradient
    [
      [4, 9, 9, 5],
      [4, 9, 1, 1],
    ],
    [
      [4, 9, 9, 5],
      [9, 1, 1],
    ],
    [[4, 9, 9, 5], []],
    [[], [7]],
    [
      [3, 1],
      [1, 4],
    ],
    [
      [2, 3, 4, 5, 6, 7, 2],
      [7, 1],
    ], // rank 7 before merging
  ];
  test.each(broadcasts)('Add, Sub, Multiply, RealDiv, Maximum, Minimum, SquaredDifference on %j and %j', async (as, bs) => {
    await check(
      [
        { shape: as, seed: 14 },
        { shape: bs, seed: 15, offset: 2 },
      ],
      (a, b) => [
        tf.add(a!, b!),
        tf.sub(a!, b!),
        tf.mul(a!, b!),
        tf.div(a!, b!),
        tf.maximum(a!, b!),
        tf.minimum(a!, b!),
        tf.squaredDifference(a!, b!),
      ],
      'binary',
      0,
      0,
    );
  });

  test('binary ops on int32 fall back to the cpu kernels and stay exact', async () => {
    const r = await both([], () => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(5, 'int32')));
    expect(Array.from(r.onednn[0]!)).toEqual([6, 7, 8]);
  });

  test('unary ops, NaN included', async () => {
    const specs = [{ shape: [3, 50], seed: 16, scale: 3 }];
    await check(
      specs,
      (x) => [
        tf.relu(x!),
        tf.relu6(tf.mul(x!, 3)),
        tf.step(x!, 0.25),
        tf.neg(x!),
        tf.exp(x!),
        tf.abs(x!),
        tf.sigmoid(x!),
        tf.tanh(x!),
        tf.square(x!),
        tf.reciprocal(x!),
      ],
      'unary',
      2e-7,
      1e-7,
    );
    await check(
      [{ shape: [3, 50], seed: 16, scale: 3, offset: 4 }],
      (x) => [tf.log(x!), tf.sqrt(x!), tf.rsqrt(x!)],
      'unary positive',
      2e-7,
      1e-7,
    );
    await check(
      [],
      () => {
        const x = tf.tensor1d([NaN, -1, 0, 2]);
        return [tf.relu(x), tf.step(x), tf.maximum(x, tf.scalar(0)), tf.max(x), tf.min(x)];
      },
      'NaN',
      0,
      0,
    );
  });

  const reductions: [number[], number[], boolean][] = [
    [[4, 8, 8, 16], [0, 1, 2], false], // batch norm's statistics
    [[4, 8, 8, 16], [1, 2], true], // global average pool
    [[6, 10], [1], false], // the loss
    [[6, 10], [0, 1], false],
    [[2, 3, 4], [0, 2], false], // not contiguous: the cpu kernel
  ];
  test.each(reductions)('Sum, Mean, Max, Min of %j over %j (keepDims %s)', async (shape, axes, keepDims) => {
    await check(
      [{ shape, seed: 17 }],
      (x) => [tf.sum(x!, axes, keepDims), tf.mean(x!, axes, keepDims), tf.max(x!, axes, keepDims), tf.min(x!, axes, keepDims)],
      'reduce',
      1e-6,
      1e-6,
    );
  });

  test('a sum of 131,072 values per channel keeps float32 accuracy (double accumulators)', async () => {
    const r = await both([{ shape: [128, 32, 32, 4], seed: 18, offset: 1000 }], (x) => tf.sum(x!, [0, 1, 2]));
    // The cpu kernel sums in float32 and drifts; compare with float64 sums of the same values.
    const values = (await import('./helpers.js')).randomValues(128 * 32 * 32 * 4, 18);
    const exact = new Float64Array(4);
    values.forEach((v, i) => (exact[i % 4]! += v + 1000));
    for (let c = 0; c < 4; c++) expect(Math.abs(r.onednn[0]![c]! - exact[c]!) / exact[c]!).toBeLessThan(1e-7);
  });

  test('BatchMatMul with every transpose, batch broadcast, and _FusedMatMul with bias and ReLU', async () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      await check(
        [
          { shape: ta ? [7, 5] : [5, 7], seed: 19 },
          { shape: tb ? [3, 7] : [7, 3], seed: 20 },
        ],
        (a, b) => tf.matMul(a!, b!, ta, tb),
        `matMul ${ta} ${tb}`,
      );
    }
    await check(
      [
        { shape: [2, 5, 7], seed: 21 },
        { shape: [7, 3], seed: 22 },
      ],
      (a, b) => tf.matMul(a!, b!),
      'batched, b shared',
    );
    await check(
      [
        { shape: [4, 5, 7], seed: 21 },
        { shape: [4, 7, 3], seed: 22 },
      ],
      (a, b) => tf.matMul(a!, b!),
      'batched',
    );
    await check(
      [
        { shape: [5, 64], seed: 23 },
        { shape: [64, 10], seed: 24 },
        { shape: [10], seed: 25 },
      ],
      (a, b, c) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu' }),
      'fused matMul',
    );
  });

  test('Slice, PadV2 and Transpose, float32 and int32; slices are copies, not views', async () => {
    await check(
      [t4([4, 8, 8, 16], 26)],
      (x) => [
        tf.slice(x!, [1, 0, 1, 2], [2, 8, 3, 5]),
        tf.pad(
          x!,
          [
            [0, 0],
            [1, 2],
            [0, 0],
            [4, 4],
          ],
          0.5,
        ),
        tf.transpose(x!, [0, 3, 1, 2]),
      ],
      'copies',
      0,
      0,
    );
    await check(
      [],
      () => {
        const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
        return [tf.cast(tf.slice(i, [0, 1], [2, 2]), 'float32'), tf.cast(tf.transpose(i), 'float32')];
      },
      'int32 copies',
      0,
      0,
    );
  });
});

describe.skipIf(skipReason !== undefined)('onednn memory', () => {
  test('a pooled buffer never changes under user code: reads are copies, and views of pooled buffers are copied', async () => {
    await tf.setBackend('onednn');
    const a = tf.fill([64, 64, 16], 1);
    const b = tf.add(a, 1); // pooled output (≥ 16,384 floats)
    const read = await b.data();
    // stridedSlice's simple case returns the cpu kernel's subarray of its input.
    const view = tf.stridedSlice(b, [0, 0, 0], [32, 64, 16], [1, 1, 1]);
    b.dispose();
    const c = tf.mul(a, 7); // takes b's buffer from the pool
    expect(read[0]).toBe(2);
    expect((await view.data())[5]).toBe(2);
    expect((await c.data())[0]).toBe(7);
    tf.dispose([a, c, view]);
  });

  test('every native kernel leaves only its output behind', async () => {
    await tf.setBackend('onednn');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 4]);
      const w = tf.randomNormal([3, 3, 4, 4]);
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')),
      )([x, w]);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(skipReason !== undefined)('the addon refuses bad arguments with errors, never a crash', () => {
  test('wrong lengths, types, shapes and geometry', () => {
    const addon = loadNative().addon!;
    const g = Int32Array.from([1, 4, 4, 2, 3, 3, 2, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1]);
    const f = (n: number) => new Float32Array(n);
    expect(() => addon.conv2dForward(g, f(31), f(36), null, f(32), false, -1, true)).toThrow(
      /conv2d x: expected 32 float32 values, got 31/,
    );
    expect(() => addon.conv2dForward(g, f(32), f(36), null, f(31), false, -1, true)).toThrow(/conv2d output: expected 32/);
    expect(() =>
      addon.conv2dForward(
        Int32Array.from([1, 4, 4, 2, 3, 3, 2, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1]),
        f(32),
        f(36),
        null,
        f(162),
        false,
        -1,
        true,
      ),
    ).toThrow(/output size 9x9 does not follow/);
    expect(() => addon.conv2dForward(g, new Int32Array(32) as unknown as Float32Array, f(36), null, f(32), false, -1, true)).toThrow(
      /expected a Float32Array/,
    );
    expect(() => addon.batchNormTraining(Int32Array.from([1, 2, 2, 3]), f(12), f(2), f(3), 1e-5, false, f(12), f(3), f(3), -1)).toThrow(
      /batch norm scale: expected 3/,
    );
    expect(() => addon.binary(99, Int32Array.from([4]), Int32Array.from([1]), f(4), Int32Array.from([1]), f(4), f(4))).toThrow(
      /unknown op 99/,
    );
    expect(() => addon.binary(0, Int32Array.from([4]), Int32Array.from([2]), f(4), Int32Array.from([1]), f(4), f(4))).toThrow(/last axis/);
    expect(() => addon.copyStrided(Int32Array.from([4]), Int32Array.from([1]), 1, f(4), Int32Array.from([1]), 0, f(4))).toThrow(
      /reaches past/,
    );
    expect(() => addon.batchMatMul(Int32Array.from([1, 2, 2, 2, 0, 0, 4, 4]), f(3), f(4), f(4), null, false)).toThrow(
      /matmul a: expected 4/,
    );
    expect(() => addon.setThreads(0)).toThrow(/threads must be an integer/);
  });
});

describe.skipIf(skipReason !== undefined)("core's fused SGD update", () => {
  test.each([0, 1e-4])('ResNetSgdMomentum equals the five composite ops bit for bit (weight decay %s)', async (weightDecay) => {
    const { SGD } = await import('@resnet/core');
    const results: Float32Array[][] = [];
    for (const backend of ['cpu', 'onednn']) {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor(randomValuesOf(3 * 3 * 16 * 16, 30), [3, 3, 16, 16]), true, `w_${backend}_${weightDecay}`);
      const sgd = new SGD([{ name: 'layer1.0.conv1.weight', variable: w }], { learningRate: 0.1, momentum: 0.9, weightDecay });
      for (let i = 0; i < 3; i++) {
        const g = tf.tensor(randomValuesOf(w.size, 31 + i), w.shape);
        const before = tf.memory().numTensors;
        sgd.step({ [w.name]: g });
        expect(tf.memory().numTensors).toBe(before);
        g.dispose();
      }
      results.push([Float32Array.from(await w.data()), Float32Array.from(await sgd.velocities.get('layer1.0.conv1.weight')!.data())]);
      sgd.dispose();
      w.dispose();
    }
    expect(results[1]![0]).toEqual(results[0]![0]);
    expect(results[1]![1]).toEqual(results[0]![1]);
  });
});

function randomValuesOf(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i));
}

describe.skipIf(skipReason !== undefined)('float32 tensors backed by the Int32Array of a cast', () => {
  test('Slice, Transpose and PadV2 of tf.cast(int32 → float32)', async () => {
    await check(
      [],
      () => {
        const c = tf.cast(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 'float32');
        return [
          tf.slice(c, [1, 0], [1, 2]),
          tf.transpose(c),
          tf.pad(c, [
            [1, 0],
            [0, 1],
          ]),
        ];
      },
      'cast copies',
      0,
      0,
    );
  });
});
