// Identity and Cast on wasm: shared buffers that are freed with their last tensor.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import '../src/node.js';

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
