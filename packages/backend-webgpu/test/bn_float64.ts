// Training-mode batch norm and its gradient in float64, in plain JavaScript: the reference that the
// float32 kernels (this package's WGSL, the cpu backend's composite ops) are measured against. Same
// contract as @resnet/core's ResNetBatchNormTraining and ResNetBatchNormTrainingGrad (NHWC, M = N·H·W
// positions per channel, biased variance, ReLU mask from the output y, gradients of Σ y·dy).
// Two-pass statistics; float64 sums of up to ~10⁶ terms are exact to ~1e-10 relative, far below the
// float32 errors measured with it.

export interface Float64BatchNorm {
  readonly y: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** The gradients of Σ y·dy, when dy was given. */
  readonly dx?: Float64Array;
  readonly dScale?: Float64Array;
  readonly dOffset?: Float64Array;
}

/** BN of NHWC `x` (`channels` last) with γ = `scale`, β = `offset`; with `dy`, also dx, dγ, dβ (β only enters through the ReLU mask). */
export function batchNormTrainingFloat64(
  x: ArrayLike<number>,
  channels: number,
  scale: ArrayLike<number>,
  offset: ArrayLike<number>,
  epsilon: number,
  relu: boolean,
  dy?: ArrayLike<number>,
  /** The forward output whose y > 0 masks dy under ReLU, as the gradient kernel's `y` input does (default: this y). */
  mask?: ArrayLike<number>,
): Float64BatchNorm {
  const c = channels;
  const m = x.length / c;
  if (!Number.isInteger(m) || m < 1) throw new Error(`batchNormTrainingFloat64: ${x.length} values are not whole rows of ${c} channels`);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c]! += x[i]!;
  for (let k = 0; k < c; k++) mean[k]! /= m;
  for (let i = 0; i < x.length; i++) variance[i % c]! += (x[i]! - mean[i % c]!) ** 2;
  for (let k = 0; k < c; k++) variance[k]! /= m;
  const invstd = variance.map((v) => 1 / Math.sqrt(v + epsilon));
  const xhat = new Float64Array(x.length);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    xhat[i] = (x[i]! - mean[k]!) * invstd[k]!;
    const v = scale[k]! * xhat[i]! + offset[k]!;
    y[i] = relu && v < 0 ? 0 : v;
  }
  if (!dy) return { y, mean, variance };
  if (dy.length !== x.length) throw new Error(`batchNormTrainingFloat64: dy has ${dy.length} values, x ${x.length}`);
  const masking = mask ?? y;
  const g = Float64Array.from(dy, (d, i) => (relu && !(masking[i]! > 0) ? 0 : d));
  const dOffset = new Float64Array(c);
  const dScale = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    dOffset[i % c]! += g[i]!;
    dScale[i % c]! += g[i]! * xhat[i]!;
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    dx[i] = scale[k]! * invstd[k]! * (g[i]! - dOffset[k]! / m - (xhat[i]! * dScale[k]!) / m);
  }
  return { y, mean, variance, dx, dScale, dOffset };
}

/** max |got − ref| over the elements, and the same divided by max |ref| (the error on the tensor's own scale). */
export function errorAgainst(ref: ArrayLike<number>, got: ArrayLike<number>): { abs: number; relToMax: number } {
  if (ref.length !== got.length) throw new Error(`errorAgainst: ${got.length} values against ${ref.length}`);
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { abs, relToMax: abs / (scale || 1) };
}
