// MaxPoolGrad, Sum and Mean on wasm against the cpu backend.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import '../src/node.js';
import { expectSameAsCpu, randomInput, runKernel, type Input } from './helpers.js';

/** A window's gradient is the sum of at most a few dy values, in another order than the cpu's: 2 ulps. */
const POOL_TOLERANCE = 2.5e-7;
/** Both backends accumulate in float64 and round to float32; the cpu's Mean rounds twice: 2 ulps. */
const REDUCE_TOLERANCE = 2.5e-7;

function shifted(input: Input, by: number): Input {
  return { ...input, values: (input.values as Float32Array).map((v) => v + by) };
}

describe('MaxPoolGrad (replaces the shipped one, which loses windows whose values are all ≤ 0)', () => {
  const cases: Array<
    [string, Input, number | [number, number], number | [number, number], 'same' | 'valid' | number, ('ceil' | 'round')?]
  > = [
    ['the ImageNet stem pool 3×3/2 pad 1', randomInput([2, 16, 16, 3], 1), 3, 2, 1],
    ['all values negative (the shipped kernel loses every window)', shifted(randomInput([1, 8, 8, 2], 2), -2), 3, 2, 1],
    ['mostly negative, odd size, same', shifted(randomInput([2, 9, 7, 3], 3), -0.6), 3, 2, 'same'],
    ['2×2/2 valid', randomInput([1, 8, 6, 4], 4), 2, 2, 'valid'],
    ['3×3/1 same: overlapping windows', randomInput([1, 6, 6, 2], 5), 3, 1, 'same'],
    ['rectangular window and strides', randomInput([2, 9, 10, 2], 6), [3, 2], [2, 1], 'valid'],
    ['numeric pad, rounding ceil', randomInput([1, 8, 8, 2], 7), 3, 2, 1, 'ceil'],
  ];
  test.each(cases)('%s', async (_name, input, filterSize, strides, pad, dimRoundingMode) => {
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const attrs = { filterSize, strides, pad, ...(dimRoundingMode ? { dimRoundingMode } : {}) };
    await expectSameAsCpu(
      'MaxPoolGrad',
      { dy: randomInput(info.outShape, 9), input, output: randomInput(info.outShape, 10) },
      attrs,
      POOL_TOLERANCE,
    );
  });

  test('ties: the first maximum in the window takes the gradient, as on cpu', async () => {
    const input: Input = { values: new Float32Array(2 * 4 * 4 * 1), shape: [2, 4, 4, 1], dtype: 'float32' };
    const dy = randomInput([2, 2, 2, 1], 11);
    await expectSameAsCpu('MaxPoolGrad', { dy, input, output: dy }, { filterSize: 2, strides: 2, pad: 'valid' }, 0);
    const dx = await runKernel('wasm', 'MaxPoolGrad', { dy, input, output: dy }, { filterSize: 2, strides: 2, pad: 'valid' });
    expect(dx.values[0]).toBe((dy.values as Float32Array)[0]);
    expect(dx.values[1]).toBe(0);
  });
});

describe('Sum and Mean (float64 accumulation where the innermost axis is kept)', () => {
  const cases: Array<[string, Input, number | number[] | null, boolean]> = [
    ['batch norm: [N, H, W, C] over N, H, W', randomInput([4, 8, 8, 5], 1), [0, 1, 2], false],
    ['batch norm, rows not a multiple of 4', randomInput([1, 7, 1, 3], 2), [0, 1, 2], false],
    ['with an offset (cancellation-prone)', shifted(randomInput([8, 16, 16, 4], 3), 3), [0, 1, 2], false],
    ['global average pool: over H, W', randomInput([3, 5, 5, 6], 4), [1, 2], false],
    ['keepDims', randomInput([2, 3, 4, 5], 5), [0, 1, 2], true],
    ['the first axis', randomInput([6, 7], 6), 0, false],
    ['alternating axes', randomInput([2, 3, 4, 5, 6], 7), [1, 3], false],
    ['size-1 axes around', randomInput([1, 3, 1, 5], 8), [1], false],
    ['the innermost axis (the shipped kernel)', randomInput([4, 9], 9), -1, false],
    ['everything (the shipped kernel)', randomInput([3, 4, 5], 10), null, false],
  ];
  test.each(cases)('Sum: %s', async (_name, x, axis, keepDims) => {
    // tfjs's ops pass axis null for "all axes".
    await expectSameAsCpu('Sum', { x }, { axis: axis as number[], keepDims }, REDUCE_TOLERANCE);
  });
  test.each(cases)('Mean: %s', async (_name, x, axis, keepDims) => {
    await expectSameAsCpu('Mean', { x }, { axis: axis as number[], keepDims }, REDUCE_TOLERANCE);
  });
  test('int32 sums stay int32 (the shipped kernel)', async () => {
    const x: Input = { values: Int32Array.from({ length: 24 }, (_, i) => i - 7), shape: [2, 3, 4], dtype: 'int32' };
    await expectSameAsCpu('Sum', { x }, { axis: [0, 1], keepDims: false }, 0);
  });
  test('accurate where the shipped float32 sum is not: 32,768 values of 3 ± 1 per channel', async () => {
    const x = shifted(randomInput([32, 32, 32, 4], 12), 3);
    const exact = new Float64Array(4);
    (x.values as Float32Array).forEach((v, i) => (exact[i % 4] = exact[i % 4]! + v));
    const sum = await runKernel('wasm', 'Sum', { x }, { axis: [0, 1, 2], keepDims: false });
    // One float32 rounding of the float64 total: half an ulp.
    for (let c = 0; c < 4; c++) expect(Math.abs((sum.values[c] as number) - exact[c]!) / exact[c]!).toBeLessThanOrEqual(2 ** -24);
  });
});
