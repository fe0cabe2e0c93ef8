// Identity, Cast and FusedBatchNorm on wasm: shared buffers that are freed with their last tensor,
// and batch norm against the cpu backend, including the shapes that go to the shipped kernel.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import '../src/node.js';
import { expectSameAsCpu, randomInput, type Input } from './helpers.js';

/** (x − μ)·k + β with k computed in float64 against the cpu's float32 steps: a few ulps of the largest value. */
const BN_TOLERANCE = 1e-6;

async function onWasm(): Promise<void> {
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
}

describe('Identity and same-dtype Cast share the input buffer', () => {
  test.each([
    ['Identity', (x: tf.Tensor) => tf.engine().runKernel('Identity', { x }, {}) as tf.Tensor],
    ['Cast to the same dtype', (x: tf.Tensor) => tf.cast(x, x.dtype)],
  ])('%s: no new buffer, same values, freed with the last tensor', async (_name, op) => {
    await onWasm();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const buffers = tf.backend().numDataIds();
    const y = op(x);
    expect(tf.backend().numDataIds()).toBe(buffers);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1.5, -2, 3]);
    y.dispose();
    expect(tf.backend().numDataIds()).toBe(buffers - 1);
  });

  test('a variable assigned from a clone keeps its value when the clone is overwritten', async () => {
    await onWasm();
    const v = tf.variable(tf.tensor([1, 2]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor([5, 6]));
    expect(Array.from(await snapshot.data())).toEqual([1, 2]);
    expect(Array.from(await v.data())).toEqual([5, 6]);
    tf.dispose([v, snapshot]);
  });

  test('a cast that changes the dtype still converts', async () => {
    await onWasm();
    const x = tf.tensor([1.7, -2.2, 0], [3]);
    const y = tf.cast(x, 'int32');
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([1, -2, 0]);
    tf.dispose([x, y]);
  });
});

function positive(input: Input, by: number): Input {
  return { ...input, values: (input.values as Float32Array).map((v) => Math.abs(v) + by) };
}

function shifted(input: Input, by: number): Input {
  return { ...input, values: (input.values as Float32Array).map((v) => v + by) };
}

describe('FusedBatchNorm (replaces the shipped per-element index loop for per-channel statistics)', () => {
  const c = 5;
  const stats = (seed: number): Record<string, Input> => ({
    mean: randomInput([c], seed),
    variance: positive(randomInput([c], seed + 1), 0.1),
    offset: randomInput([c], seed + 2),
    scale: randomInput([c], seed + 3),
  });
  const cases: Array<[string, Record<string, Input>]> = [
    ['NHWC with γ and β', { x: randomInput([2, 3, 4, c], 1), ...stats(10) }],
    ['no γ, no β (core\'s x̂)', { x: randomInput([2, 3, 4, c], 2), mean: randomInput([c], 20), variance: positive(randomInput([c], 21), 0.1) }],
    ['a mean far from zero (subtracted before scaling)', { x: shifted(randomInput([2, 2, 2, c], 3), 1000), ...stats(30), mean: shifted(randomInput([c], 31), 1000) }],
    ['statistics shaped [1, 1, 1, C]', { x: randomInput([1, 2, 2, c], 4), mean: randomInput([1, 1, 1, c], 40), variance: positive(randomInput([1, 1, 1, c], 41), 0.1) }],
    ['a single-value scale', { x: randomInput([2, 2, c], 5), ...stats(50), scale: randomInput([1], 53) }],
    ['rank 2', { x: randomInput([7, c], 6), ...stats(60) }],
    ['statistics along another axis: the shipped kernel', { x: randomInput([2, c, 1], 7), mean: randomInput([c, 1], 70), variance: positive(randomInput([c, 1], 71), 0.1) }],
    ['statistics shaped like x: the shipped kernel', { x: randomInput([2, c], 8), mean: randomInput([2, c], 80), variance: positive(randomInput([2, c], 81), 0.1) }],
  ];
  test.each(cases)('%s', async (_name, inputs) => {
    await expectSameAsCpu('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }, BN_TOLERANCE);
  });
});
