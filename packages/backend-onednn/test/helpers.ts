// The same computation on the cpu backend (the reference) and on onednn, from the same values.
import '@resnet/backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { onednnStatus } from '../src/index.js';

export const status = await onednnStatus();
/** Why the native tests are skipped on this machine (the addon did not build), or undefined. */
export const skipReason = status.available ? undefined : status.reason;
if (skipReason) console.log(`backend-onednn tests SKIPPED: ${skipReason}`);

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

export interface Spec {
  shape: number[];
  seed: number;
  scale?: number;
  offset?: number;
}

function make(specs: Spec[]): tf.Tensor[] {
  return specs.map((s) =>
    tf.tensor(
      randomValues(
        s.shape.reduce((a, b) => a * b, 1),
        s.seed,
      ).map((v) => v * (s.scale ?? 1) + (s.offset ?? 0)),
      s.shape,
    ),
  );
}

/** Runs `f` on cpu and on onednn with the same inputs; returns both outputs' values and shapes, and checks nothing leaked. */
export async function both(
  specs: Spec[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: Float32Array[]; onednn: Float32Array[]; shapes: number[][] }> {
  const result: Record<string, Float32Array[]> = {};
  let shapes: number[][] = [];
  for (const backend of ['cpu', 'onednn']) {
    await tf.setBackend(backend);
    const inputs = make(specs);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const r = f(...inputs);
      return Array.isArray(r) ? r : [r];
    });
    expect(tf.memory().numTensors - before, `${backend}: only the outputs remain`).toBe(out.length);
    result[backend] = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
    shapes = out.map((t) => t.shape);
    tf.dispose(out);
    tf.dispose(inputs);
  }
  return { cpu: result.cpu!, onednn: result.onednn!, shapes };
}

/** |a − b| ≤ atol + rtol·|b| everywhere, with the worst element in the message. */
export function expectClose(actual: Float32Array, expected: Float32Array, rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    const excess = Math.abs(a - b) - (atol + rtol * Math.abs(b));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
  }
  expect(
    worst,
    worst >= 0 ? `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})` : '',
  ).toBe(-1);
}
