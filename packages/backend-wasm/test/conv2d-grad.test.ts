// Conv2DBackpropFilter and Conv2DBackpropInput on wasm against the cpu backend, on the shapes and
// paddings tfjs hands them: batch 1, odd sizes, strides with padding, 1×1 / 3×3 / 7×7 filters,
// 'same' / 'valid' / numeric / explicit padding, rounding modes, NCHW.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import '../src/node.js';
import { expectSameAsCpu, ownJobsRun, randomInput } from './helpers.js';

/**
 * Both gradients are float32 sums of up to ~2,000 products (N·OH·OW for the filter, KH·KW·Cout for
 * the input), summed in another order by XNNPACK than by the cpu backend's loops: the rounding error
 * grows like √K·2⁻²⁴ ≈ 3e-6 of the largest value; 2e-5 leaves room and still catches any wrong tap.
 */
const TOLERANCE = 2e-5;

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

const CASES: Case[] = [
  { name: 'batch 1, 3×3, stride 1, same', x: [1, 8, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'ResNet 3×3 stride 2, pad 1, odd sizes', x: [2, 7, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 1 },
  { name: 'ResNet 3×3 stride 2, pad 1, even sizes', x: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  {
    name: 'ResNet projection 1×1 stride 2, valid, even (last row unused)',
    x: [2, 8, 8, 4],
    filter: [1, 1, 4, 8],
    strides: 2,
    pad: 'valid',
  },
  { name: '1×1 stride 2, valid, odd', x: [1, 9, 7, 3], filter: [1, 1, 3, 2], strides: 2, pad: 'valid' },
  { name: '1×1 stride 1 (bottleneck)', x: [3, 5, 5, 6], filter: [1, 1, 6, 7], strides: 1, pad: 'valid' },
  { name: 'ImageNet stem 7×7 stride 2, pad 3, odd sizes', x: [1, 33, 31, 3], filter: [7, 7, 3, 4], strides: 2, pad: 3 },
  { name: '7×7 stride 2, same', x: [2, 16, 16, 3], filter: [7, 7, 3, 5], strides: 2, pad: 'same' },
  { name: '3×3 stride 1, valid', x: [1, 6, 5, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'valid' },
  { name: '3×3 stride 2, valid, even (trailing rows unused)', x: [2, 8, 10, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  {
    name: 'explicit, asymmetric',
    x: [2, 9, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: 'explicit, wider than the kernel',
    x: [1, 5, 5, 2],
    filter: [3, 3, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  },
  { name: 'strides [2, 1], 3×1 filter', x: [1, 7, 6, 2], filter: [3, 1, 2, 3], strides: [2, 1], pad: 'same' },
  { name: 'stride 3 > kernel 2 (skipped pixels)', x: [1, 10, 11, 2], filter: [2, 2, 2, 2], strides: 3, pad: 'valid' },
  { name: 'numeric pad, rounding ceil', x: [1, 8, 8, 2], filter: [3, 3, 2, 2], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { name: 'numeric pad, rounding round', x: [1, 9, 9, 2], filter: [2, 2, 2, 2], strides: 2, pad: 0, dimRoundingMode: 'round' },
  { name: 'NCHW, 3×3 stride 2, same', x: [2, 3, 8, 7], filter: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NCHW' },
  { name: 'ResNet-20 stage, batch 4', x: [4, 16, 16, 8], filter: [3, 3, 8, 8], strides: 1, pad: 1 },
];

/**
 * The same geometries with 8 or 16 output channels, the multiple of 8 the C kernels (csrc/conv.c,
 * csrc/conv_filter.c) take, plus shapes whose sums are long or split into chunks (batch 32) and
 * input channels that leave a remainder of the 4-channel register tile.
 */
const OWN_CASES: Case[] = [
  ...CASES.map((c) => ({
    ...c,
    name: `${c.name}, 8 output channels`,
    filter: [c.filter[0], c.filter[1], c.filter[2], 8] as Case['filter'],
  })),
  { name: 'ResNet-20 stage 2 first 3×3/2, batch 32', x: [32, 16, 16, 16], filter: [3, 3, 16, 32], strides: 2, pad: 1 },
  { name: '5 input channels (a tile remainder), 16 outputs', x: [3, 9, 9, 5], filter: [3, 3, 5, 16], strides: 1, pad: 1 },
  { name: '1×1 stride 2 projection, batch 9', x: [9, 8, 8, 12], filter: [1, 1, 12, 16], strides: 2, pad: 'valid' },
  // More than 64 input channels: groups of channels as work items, the second with a remainder of 2.
  { name: '70 input channels, 7×7 (one chunk, two channel groups)', x: [2, 7, 7, 70], filter: [3, 3, 70, 16], strides: 1, pad: 1 },
  { name: '72 input channels, 4,096 pixels (two chunks × two groups)', x: [16, 16, 16, 72], filter: [1, 1, 72, 8], strides: 1, pad: 0 },
];

function dyShape(c: Case): number[] {
  const format = c.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode, false, format).outShape;
}

function attrs(c: Case): tf.NamedAttrMap {
  return {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat ?? 'NHWC',
    ...(c.dimRoundingMode ? { dimRoundingMode: c.dimRoundingMode } : {}),
  };
}

describe('Conv2DBackpropFilter (missing from tfjs-backend-wasm 4.22)', () => {
  test.each(CASES)('$name', async (c) => {
    await expectSameAsCpu(
      'Conv2DBackpropFilter',
      { x: randomInput(c.x, 1), dy: randomInput(dyShape(c), 2) },
      { ...attrs(c), filterShape: c.filter },
      TOLERANCE,
    );
  });
});

describe('Conv2DBackpropInput (replaces the shipped scalar loop)', () => {
  test.each(CASES)('$name', async (c) => {
    await expectSameAsCpu(
      'Conv2DBackpropInput',
      { dy: randomInput(dyShape(c), 3), filter: randomInput(c.filter, 4) },
      { ...attrs(c), inputShape: c.x },
      TOLERANCE,
    );
  });
});

describe('the C kernels (multiples of 8 output channels), on the pool of threads', () => {
  test.each(OWN_CASES)('filter gradient: $name', async (c) => {
    const jobs = await ownJobsRun();
    await expectSameAsCpu(
      'Conv2DBackpropFilter',
      { x: randomInput(c.x, 1), dy: randomInput(dyShape(c), 2) },
      { ...attrs(c), filterShape: c.filter },
      TOLERANCE,
    );
    if (c.dataFormat !== 'NCHW') expect(await ownJobsRun(), 'csrc/conv_filter.c ran').toBeGreaterThan(jobs);
  });
  test.each(OWN_CASES)('input gradient: $name', async (c) => {
    const jobs = await ownJobsRun();
    await expectSameAsCpu(
      'Conv2DBackpropInput',
      { dy: randomInput(dyShape(c), 3), filter: randomInput(c.filter, 4) },
      { ...attrs(c), inputShape: c.x },
      TOLERANCE,
    );
    expect(await ownJobsRun(), 'csrc/conv.c ran').toBeGreaterThan(jobs);
  });
});

describe('the gradients tfjs computes with them', () => {
  test('tf.grad of a strided, padded conv2d matches cpu for both inputs', async () => {
    const x = randomInput([2, 9, 9, 3], 5);
    const w = randomInput([3, 3, 3, 4], 6);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1))))([
        tf.tensor(x.values as Float32Array, x.shape),
        tf.tensor(w.values as Float32Array, w.shape),
      ]);
      return [await gx!.data(), await gw!.data()];
    };
    const [cx, cw] = await grads('cpu');
    const [wx, ww] = await grads('wasm');
    const close = (a: tf.backend_util.TypedArray, b: tf.backend_util.TypedArray) => {
      const scale = Math.max(1, ...Array.from(b, Math.abs));
      return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) / scale;
    };
    // Same reason as TOLERANCE.
    if (close(wx!, cx!) > TOLERANCE || close(ww!, cw!) > TOLERANCE)
      throw new Error(`gradients differ: dx ${close(wx!, cx!)}, dw ${close(ww!, cw!)}`);
  });
});

describe('errors name the value and what was expected', () => {
  test('a dy that does not fit the convolution', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 8, 8, 3]);
    const dy = tf.zeros([1, 5, 5, 4]);
    let error: unknown;
    try {
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] });
    } catch (e) {
      error = e;
    }
    if (!(error instanceof Error) || !/Conv2DBackpropFilter: dy has shape \[1, 5, 5, 4\], expected \[1, 4, 4, 4\]/.test(error.message)) {
      throw new Error(`unexpected error: ${String(error)}`);
    }
    tf.dispose([x, dy]);
  });
});
