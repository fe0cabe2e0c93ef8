// Runs the same kernel on the cpu backend (the reference) and on wasm, from the same plain arrays.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapMemory, ownKernelsOf } from '../src/own_kernels.js';

export interface Input {
  values: tf.backend_util.TypedArray | string[];
  shape: number[];
  dtype: tf.DataType;
}

export interface Output {
  values: tf.backend_util.TypedArray | string[];
  shape: number[];
  dtype: tf.DataType;
}

/** Deterministic values in [-1, 1) (mulberry32), so failures reproduce. */
export function randomValues(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

export function randomInput(shape: number[], seed: number): Input {
  return {
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
    dtype: 'float32',
  };
}

/**
 * One kernel run on `backend`: its output, and a check that it freed every intermediate (the
 * backend holds exactly one more buffer, the result, until that is disposed).
 */
export async function runKernel(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, Input>,
  attrs: tf.NamedAttrMap,
): Promise<Output> {
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
  const tensors: tf.NamedTensorMap = {};
  for (const [name, input] of Object.entries(inputs))
    tensors[name] = tf.tensor(input.values as tf.backend_util.TypedArray, input.shape, input.dtype);
  const buffers = tf.backend().numDataIds();
  const out = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor;
  expect(tf.backend().numDataIds(), `${kernel} on ${backend} leaves only its result behind`).toBe(buffers + 1);
  const result = { values: await out.data(), shape: out.shape, dtype: out.dtype };
  tf.dispose([out, ...Object.values(tensors)]);
  return result;
}

/** The kernel on wasm against cpu: same shape and dtype, values within `tolerance` of the largest |reference|. */
export async function expectSameAsCpu(
  kernel: string,
  inputs: Record<string, Input>,
  attrs: tf.NamedAttrMap,
  tolerance: number,
): Promise<void> {
  const expected = await runKernel('cpu', kernel, inputs, attrs);
  const actual = await runKernel('wasm', kernel, inputs, attrs);
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  if (tolerance === 0) {
    expect(Array.from(actual.values as ArrayLike<number | string>)).toEqual(Array.from(expected.values as ArrayLike<number | string>));
    return;
  }
  const a = actual.values as Float32Array;
  const e = expected.values as Float32Array;
  let scale = 1;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  expect(worst / scale, `${kernel}: largest difference ${worst} against values up to ${scale}`).toBeLessThanOrEqual(tolerance);
}

/** How many jobs the package's C kernels have run on the wasm backend (csrc/pool.c's `seq`). */
export async function ownJobsRun(): Promise<number> {
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  const backend = tf.backend() as unknown as BackendWasm;
  const own = ownKernelsOf(backend);
  const memory = heapMemory(backend);
  if (!own || !memory) throw new Error("the package's kernel module is not loaded on the wasm backend");
  // RnJob (csrc/kernels.h): next (8 bytes), then seq.
  return new Uint32Array(memory.buffer, own.job + 8, 1)[0]!;
}
