/**
 * Inputs every backend sees identically: generated in JavaScript from a seed (mulberry32 +
 * Box–Muller), never by a backend's own random kernels.
 */
import * as tf from '@tensorflow/tfjs-core';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard-normal values (scaled), deterministic in `seed`. */
export function normalValues(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Uniform values in [low, high). */
export function uniformValues(count: number, seed: number, low: number, high: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => low + (high - low) * next());
}

export function normal(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    normalValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
    'float32',
  );
}

export function uniform(shape: number[], seed: number, low: number, high: number): tf.Tensor {
  return tf.tensor(
    uniformValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      low,
      high,
    ),
    shape,
    'float32',
  );
}
