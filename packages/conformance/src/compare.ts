import type { OutputComparison, Tolerance } from './types.js';

/** Compares one output elementwise (numpy's allclose rule) and summarises the errors. */
export function compareOutput(
  output: string,
  shape: readonly number[],
  actual: Float32Array,
  expected: Float32Array,
  tol: Tolerance,
): OutputComparison {
  if (actual.length !== expected.length) {
    return { output, shape, maxAbsError: Infinity, maxRelError: Infinity, mismatches: expected.length, ok: false };
  }
  let maxAbs = 0;
  let scale = 0;
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    // NaN anywhere is a mismatch, even where the reference is NaN too: no ResNet output should be.
    if (!(err <= tol.atol + tol.rtol * Math.abs(e))) mismatches++;
    if (err > maxAbs || Number.isNaN(err)) maxAbs = Number.isNaN(err) ? Infinity : err;
    scale = Math.max(scale, Math.abs(e));
  }
  // Relative to the tensor's largest value, but never to less than atol: a gradient that is
  // mathematically zero comes out as ~1e-9 noise, and its "relative error" would say nothing.
  return {
    output,
    shape,
    maxAbsError: maxAbs,
    maxRelError: maxAbs / Math.max(scale, tol.atol, Number.MIN_VALUE),
    mismatches,
    ok: mismatches === 0,
  };
}
