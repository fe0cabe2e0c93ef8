// The C convolution (csrc/conv.c) against the cpu backend, called directly (whatever shapes the
// Conv2D kernel routes to it), on the shapes that exercise its edges: 1×1, 3×3, 7×7, strides,
// 'same' / 'valid' / explicit padding, Cout not a multiple of 8, pixel counts not a multiple of 4;
// and the Conv2D kernel itself (which picks C or XNNPACK per shape) on the same cases.
import '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { ownConv2D, ownConv2DInfo, ownWinogradConv2D, prefersOwnConv2D, prefersWinograd, winogradApplies } from '../src/kernels/Conv2D.js';
import '../src/node.js';
import { ownKernelsOf } from '../src/own_kernels.js';
import { expectSameAsCpu, ownJobsRun, randomInput } from './helpers.js';

/** Float32 sums of up to KH·KW·Cin ≤ 600 products in another order than the cpu's loops: ~√K·2⁻²⁴ of the largest value; 2e-5 leaves room and catches any wrong tap. */
const TOLERANCE = 2e-5;

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
}

const CASES: Case[] = [
  { name: 'ResNet-20 stem 3×3, Cin 3, Cout 16', x: [2, 8, 8, 3], filter: [3, 3, 3, 16], strides: 1, pad: 'same' },
  { name: '3×3 stride 1, 16 → 16', x: [2, 6, 6, 16], filter: [3, 3, 16, 16], strides: 1, pad: 1 },
  { name: '3×3 stride 2, 16 → 32, even size', x: [2, 8, 8, 16], filter: [3, 3, 16, 32], strides: 2, pad: 1 },
  { name: '3×3 stride 2, odd size, Cout 5 (a partial panel)', x: [1, 7, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 1 },
  { name: '1×1 (a plain GEMM), 6 → 12, 75 pixels (not a multiple of 4)', x: [3, 5, 5, 6], filter: [1, 1, 6, 12], strides: 1, pad: 'valid' },
  { name: '1×1 stride 2 projection, valid', x: [2, 8, 8, 4], filter: [1, 1, 4, 8], strides: 2, pad: 'valid' },
  { name: '7×7 stride 2 pad 3 (ImageNet stem), Cout 9', x: [1, 17, 15, 3], filter: [7, 7, 3, 9], strides: 2, pad: 3 },
  { name: 'valid 3×3, one output pixel', x: [1, 3, 3, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'valid' },
  {
    name: 'explicit asymmetric padding, wider than the kernel',
    x: [1, 5, 4, 2],
    filter: [3, 2, 2, 10],
    strides: [2, 1],
    pad: [
      [0, 0],
      [3, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { name: 'Cout 1, Cin 1', x: [2, 4, 4, 1], filter: [2, 2, 1, 1], strides: 1, pad: 'same' },
];

function attrs(c: Case): tf.NamedAttrMap {
  return { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat ?? 'NHWC', dilations: 1 };
}

describe('csrc/conv.c called directly, against cpu', () => {
  test.each(CASES)('$name', async (c) => {
    const xIn = randomInput(c.x, 1);
    const wIn = randomInput(c.filter, 2);
    await tf.setBackend('cpu');
    const expected = tf.conv2d(
      tf.tensor4d(xIn.values as Float32Array, c.x),
      tf.tensor4d(wIn.values as Float32Array, c.filter),
      c.strides,
      c.pad as 'same',
    );
    const e = (await expected.data()) as Float32Array;
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const own = ownKernelsOf(backend);
    expect(own, 'the kernel module is loaded').toBeDefined();
    const x = tf.tensor4d(xIn.values as Float32Array, c.x);
    const w = tf.tensor4d(wIn.values as Float32Array, c.filter);
    const info = ownConv2DInfo(x, w, attrs(c) as unknown as tf.Conv2DAttrs);
    expect(info, 'a convolution the C kernel takes').toBeDefined();
    const buffers = backend.numDataIds();
    const out = ownConv2D(backend, own!, x, w, info!);
    expect(backend.numDataIds(), 'only the output is left (the scratch is freed)').toBe(buffers + 1);
    expect(out.shape).toEqual(expected.shape);
    const a = backend.typedArrayFromHeap(out) as Float32Array;
    let scale = 1;
    let worst = 0;
    for (let i = 0; i < e.length; i++) {
      scale = Math.max(scale, Math.abs(e[i]!));
      worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
    }
    expect(worst / scale).toBeLessThanOrEqual(TOLERANCE);
    backend.disposeData(out.dataId);
    tf.dispose([x, w, expected]);
  });

  test('shapes it does not take are left to XNNPACK: NCHW, dilation, int32', async () => {
    await tf.setBackend('wasm');
    const t = (shape: number[], dtype: tf.DataType = 'float32') => ({ dataId: {}, shape, dtype });
    const base = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as unknown as tf.Conv2DAttrs;
    expect(ownConv2DInfo(t([1, 4, 4, 2]), t([3, 3, 2, 2]), base)).toBeDefined();
    expect(ownConv2DInfo(t([1, 2, 4, 4]), t([3, 3, 2, 2]), { ...base, dataFormat: 'NCHW' })).toBeUndefined();
    expect(ownConv2DInfo(t([1, 8, 8, 2]), t([3, 3, 2, 2]), { ...base, dilations: 2 })).toBeUndefined();
    expect(ownConv2DInfo(t([1, 4, 4, 2], 'int32'), t([3, 3, 2, 2]), base)).toBeUndefined();
  });
});

describe('the Conv2D kernel (C or XNNPACK per shape), against cpu', () => {
  test.each(CASES)('$name', async (c) => {
    await expectSameAsCpu('Conv2D', { x: randomInput(c.x, 3), filter: randomInput(c.filter, 4) }, attrs(c), TOLERANCE);
  });
});

/** 3×3 stride-1 shapes for F(2×2, 3×3): odd and even sizes (partial 2×2 tiles), paddings 0–2, Cout not a multiple of 8 or 4. */
const WINOGRAD_CASES: Array<Case & { bias?: boolean; relu?: boolean }> = [
  { name: "ResNet-20's stage 3, 64 → 64, 8×8, same", x: [3, 8, 8, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
  {
    name: 'odd sizes 7×5, 8 → 12, same, bias and ReLU',
    x: [2, 7, 5, 8],
    filter: [3, 3, 8, 12],
    strides: 1,
    pad: 'same',
    bias: true,
    relu: true,
  },
  { name: 'valid (no padding), 9×6, 4 → 10', x: [1, 9, 6, 4], filter: [3, 3, 4, 10], strides: 1, pad: 'valid', bias: true },
  {
    name: 'explicit padding of 2 and 0, 4 → 7',
    x: [2, 6, 7, 4],
    filter: [3, 3, 4, 7],
    strides: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { name: 'one pixel, 12 → 9, same, ReLU', x: [2, 1, 1, 12], filter: [3, 3, 12, 9], strides: 1, pad: 'same', relu: true },
  { name: "ResNet-50's conv5, 512 → 24, 7×7, batch 1", x: [1, 7, 7, 512], filter: [3, 3, 512, 24], strides: 1, pad: 'same', bias: true },
];

describe('csrc/winograd.c, F(2×2, 3×3), against cpu', () => {
  test.each(WINOGRAD_CASES)('$name', async (c) => {
    const xIn = randomInput(c.x, 1);
    const wIn = randomInput(c.filter, 2);
    const bIn = randomInput([c.filter[3]], 3);
    await tf.setBackend('cpu');
    const expected = tf.fused.conv2d({
      x: tf.tensor4d(xIn.values as Float32Array, c.x),
      filter: tf.tensor4d(wIn.values as Float32Array, c.filter),
      strides: 1,
      pad: c.pad as 'same',
      ...(c.bias ? { bias: tf.tensor1d(bIn.values as Float32Array) } : {}),
      activation: c.relu ? 'relu' : 'linear',
    });
    const e = (await expected.data()) as Float32Array;
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const own = ownKernelsOf(backend)!;
    const x = tf.tensor4d(xIn.values as Float32Array, c.x);
    const w = tf.tensor4d(wIn.values as Float32Array, c.filter);
    const bias = tf.tensor1d(bIn.values as Float32Array);
    const info = ownConv2DInfo(x, w, attrs(c) as unknown as tf.Conv2DAttrs)!;
    expect(winogradApplies(info)).toBe(true);
    const buffers = backend.numDataIds();
    // Three calls: the filter transform made, made and kept, then reused; the same output each time.
    const outputs: Float32Array[] = [];
    for (let i = 0; i < 3; i++) {
      const out = ownWinogradConv2D(backend, own, x, w, info, { ...(c.bias ? { bias } : {}), relu: Boolean(c.relu) });
      expect(backend.numDataIds(), 'only the output is left').toBe(buffers + 1);
      expect(out.shape).toEqual(expected.shape);
      outputs.push((backend.typedArrayFromHeap(out) as Float32Array).slice());
      backend.disposeData(out.dataId);
    }
    expect(own.packs.get(w.dataId)?.winograd).toBeDefined();
    let scale = 1;
    let worst = 0;
    for (let i = 0; i < e.length; i++) {
      scale = Math.max(scale, Math.abs(e[i]!));
      worst = Math.max(worst, Math.abs(outputs[0]![i]! - e[i]!));
    }
    expect(worst / scale).toBeLessThanOrEqual(TOLERANCE);
    expect(Array.from(outputs[2]!)).toEqual(Array.from(outputs[0]!));
    tf.dispose([x, w, bias, expected]);
    expect(own.packs.has(w.dataId), 'the kept transform is freed with its filter').toBe(false);
  });

  test('taken from 64 input channels on, 3×3 stride 1 only (bench/winograd.mjs)', () => {
    const info = (x: number[], w: number[], stride: number) =>
      tf.backend_util.computeConv2DInfo(x as [number, number, number, number], w as [number, number, number, number], stride, 1, 1);
    expect(prefersWinograd(info([8, 14, 14, 256], [3, 3, 256, 256], 1))).toBe(true);
    expect(prefersWinograd(info([128, 8, 8, 64], [3, 3, 64, 64], 1))).toBe(true);
    expect(prefersWinograd(info([128, 16, 16, 32], [3, 3, 32, 32], 1))).toBe(false);
    expect(prefersWinograd(info([128, 16, 16, 64], [3, 3, 64, 64], 2))).toBe(false);
    expect(prefersWinograd(info([8, 14, 14, 256], [1, 1, 256, 256], 1))).toBe(false);
  });
});

describe('FusedConv2D (folded inference: bias, ReLU) on the C kernel, against cpu', () => {
  const cases = CASES.filter((c) => c.x[3] >= 8);
  test.each(
    cases.flatMap((c) => [
      { ...c, activation: 'relu', bias: true },
      { ...c, activation: 'linear', bias: true },
      { ...c, activation: 'relu', bias: false },
    ]),
  )('$name, $activation, bias $bias', async (c) => {
    const jobs = await ownJobsRun();
    const inputs = {
      x: randomInput(c.x, 5),
      filter: randomInput(c.filter, 6),
      ...(c.bias ? { bias: randomInput([c.filter[3]], 7) } : {}),
    };
    await expectSameAsCpu('FusedConv2D', inputs, { ...attrs(c), activation: c.activation }, TOLERANCE);
    expect(await ownJobsRun(), 'csrc/conv.c ran').toBeGreaterThan(jobs);
  });
  test('an activation C does not do (elu) goes to XNNPACK, and matches cpu', async () => {
    const c = CASES[1]!;
    const jobs = await ownJobsRun();
    const inputs = { x: randomInput(c.x, 5), filter: randomInput(c.filter, 6), bias: randomInput([c.filter[3]], 7) };
    await expectSameAsCpu('FusedConv2D', inputs, { ...attrs(c), activation: 'elu' }, TOLERANCE);
    expect(await ownJobsRun()).toBe(jobs);
  });
});

describe('packed filters kept for inference', () => {
  test('the third call on the same filter reuses its packed copy, gives the same output, and frees it with the filter', async () => {
    await tf.setBackend('wasm');
    const own = ownKernelsOf(tf.backend())!;
    const x = tf.tensor4d(randomInput([2, 8, 8, 16], 1).values as Float32Array, [2, 8, 8, 16]);
    const w = tf.tensor4d(randomInput([3, 3, 16, 24], 2).values as Float32Array, [3, 3, 16, 24]);
    const before = own.packs.size;
    const outputs = [];
    for (let i = 0; i < 3; i++) {
      const y = tf.conv2d(x, w, 1, 'same');
      outputs.push(await y.data());
      y.dispose();
      const pack = own.packs.get(w.dataId);
      // First use: counted; second: its packed copy kept; third: packed copy reused.
      expect(pack?.uses).toBe(i === 0 ? 1 : 2);
      expect(pack?.at !== undefined).toBe(i > 0);
    }
    expect(Array.from(outputs[2]!)).toEqual(Array.from(outputs[0]!));
    expect(Array.from(outputs[1]!)).toEqual(Array.from(outputs[0]!));
    w.dispose();
    expect(own.packs.size).toBe(before);
    x.dispose();
  });
});

describe('which convolutions go to C (measured per shape: bench/conv2d.mjs)', () => {
  const info = (x: number[], w: number[], stride: number) =>
    tf.backend_util.computeConv2DInfo(x as [number, number, number, number], w as [number, number, number, number], stride, 1, 1);
  test.each([
    ['stage 2, 16×16×32 → 32', [128, 16, 16, 32], [3, 3, 32, 32], 1, true],
    ['stage 3 first, 16×16×32 → 64 /2', [128, 16, 16, 32], [3, 3, 32, 64], 2, true],
    ['stage 3, 8×8×64 → 64, any batch', [2, 8, 8, 64], [3, 3, 64, 64], 1, true],
    ['the stem, 32×32×3 → 16 (XNNPACK is faster)', [128, 32, 32, 3], [3, 3, 3, 16], 1, false],
    ['the ImageNet stem, 7×7, 3 → 64 /2 (XNNPACK is faster)', [8, 224, 224, 3], [7, 7, 3, 64], 2, false],
    ['stage 1, 32×32×16 → 16', [128, 32, 32, 16], [3, 3, 16, 16], 1, true],
    ['stage 2 first, 32×32×16 → 32 /2', [128, 32, 32, 16], [3, 3, 16, 32], 2, true],
    ['ResNet-50 conv4_x 3×3, 256 → 256', [8, 14, 14, 256], [3, 3, 256, 256], 1, true],
    ['ResNet-50 conv5_x 1×1, 512 → 2048', [8, 7, 7, 512], [1, 1, 512, 2048], 1, true],
  ] as const)('%s: %s', (_name, x, w, stride, own) => {
    const conv = info([...x], [...w], stride);
    // As many C threads as XNNPACK's (the pool started them all): C wherever it measured faster.
    expect(prefersOwnConv2D(conv, 1, 1)).toBe(own);
    expect(prefersOwnConv2D(conv, 2, 2)).toBe(own);
    // Fewer C threads than XNNPACK's (a worker did not start): XNNPACK's extra threads win.
    expect(prefersOwnConv2D(conv, 2, 1)).toBe(false);
  });
});
