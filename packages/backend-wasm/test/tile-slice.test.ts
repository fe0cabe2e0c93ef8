// Tile and Slice on wasm against the cpu backend. Both only move data, so the results must be
// identical (tolerance 0), for every dtype, including the shapes that fall back to the shipped kernels.
import '@tensorflow/tfjs-backend-cpu';
import { describe, test } from 'vitest';
import '../src/node.js';
import { expectSameAsCpu, randomInput, type Input } from './helpers.js';

function ints(shape: number[]): Input {
  const size = shape.reduce((a, b) => a * b, 1);
  return { values: Int32Array.from({ length: size }, (_, i) => i * 7 - 3), shape, dtype: 'int32' };
}

function bools(shape: number[]): Input {
  const size = shape.reduce((a, b) => a * b, 1);
  return { values: Uint8Array.from({ length: size }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)), shape, dtype: 'bool' };
}

function strings(shape: number[]): Input {
  const size = shape.reduce((a, b) => a * b, 1);
  return { values: Array.from({ length: size }, (_, i) => `s${i}`), shape, dtype: 'string' };
}

describe('Tile (replaces the shipped per-element loop)', () => {
  const cases: Array<[string, Input, number[]]> = [
    ['the batch-norm gradient: [1, 1, 1, C] over N, H, W', randomInput([1, 1, 1, 5], 1), [2, 3, 4, 1]],
    ['a matrix both ways', randomInput([2, 3], 2), [3, 2]],
    ['middle axis of size 1', randomInput([3, 1, 2], 3), [1, 4, 2]],
    ['rank 1', randomInput([4], 4), [3]],
    ['alternating size-1 axes', randomInput([2, 1, 3, 1], 5), [1, 5, 1, 2]],
    ['no repetition', randomInput([2, 3], 6), [1, 1]],
    ['a scalar-like [1]', randomInput([1], 7), [6]],
    ['int32', ints([2, 3]), [2, 2]],
    ['bool', bools([3, 2]), [2, 3]],
    ['empty input', randomInput([0, 3], 8), [2, 2]],
    ['a long column (short runs: the shipped kernel)', randomInput([200, 1], 9), [1, 3]],
    ['strings (which the shipped kernel aborts on)', strings([2, 1]), [3, 2]],
  ];
  test.each(cases)('%s', async (_name, x, reps) => {
    await expectSameAsCpu('Tile', { x }, { reps }, 0);
  });
});

describe('Slice (replaces the shipped full-copy slice)', () => {
  const cases: Array<[string, Input, number[], number[]]> = [
    ["option A's every other row: [N·H/2, 2, W·C]", randomInput([8, 2, 12], 12), [0, 0, 0], [8, 1, 12]],
    ["option A's every other column: [N·H/2·W/2, 2, C]", randomInput([24, 2, 5], 13), [0, 0, 0], [24, 1, 5]],
    ['every other pixel in one rank-6 slice', randomInput([2, 4, 2, 3, 2, 5], 1), [0, 0, 0, 0, 0, 0], [2, 4, 1, 3, 1, 5]],
    ['rank 6, the odd pixels', randomInput([2, 4, 2, 3, 2, 5], 2), [0, 0, 1, 0, 1, 0], [2, 4, 1, 3, 1, 5]],
    ['option A channels: the middle of the last axis', randomInput([2, 4, 4, 8], 3), [0, 0, 0, 2], [2, 4, 4, 4]],
    ['a window of a matrix', randomInput([5, 7], 4), [1, 2], [3, 4]],
    ['a contiguous block', randomInput([3, 4, 5], 5), [1, 0, 0], [2, 4, 5]],
    ['the middle axis', randomInput([3, 4, 5], 6), [0, 1, 0], [3, 2, 5]],
    ['size -1: to the end', randomInput([4, 6], 7), [1, 2], [-1, -1]],
    ['rank 1', randomInput([9], 8), [3], [4]],
    ['everything', randomInput([2, 3, 4], 9), [0, 0, 0], [2, 3, 4]],
    ['single elements along the last axis', randomInput([6, 5, 4], 10), [1, 1, 3], [4, 3, 1]],
    ['empty result', randomInput([3, 4], 11), [1, 1], [0, 2]],
    ['int32', ints([4, 5]), [1, 1], [2, 3]],
    ['bool', bools([4, 5]), [0, 2], [4, 2]],
    ['strings (the shipped kernel)', strings([3, 2]), [1, 0], [2, 2]],
  ];
  test.each(cases)('%s', async (_name, x, begin, size) => {
    await expectSameAsCpu('Slice', { x }, { begin, size }, 0);
  });
});
