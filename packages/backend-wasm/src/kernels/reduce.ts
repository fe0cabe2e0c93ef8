/**
 * Sum and Mean of float32 tensors over axes that leave the innermost axis in place (batch norm's
 * [0, 1, 2], the broadcast reductions of gradients, the global average pool's [1, 2]), with float64
 * accumulators, read straight from the wasm heap.
 *
 * Why replace the shipped kernels there: they transpose the reduced axes inwards and accumulate in
 * float32. Batch norm's gradient is made of such sums over N·H·W values per channel (Σ dy, Σ dy·x̂)
 * that nearly cancel, so their rounding, up to 1e-5 of Σ|x| at 32×32×32, becomes the gradient's
 * error: on small bottleneck nets the BN weights' gradients came out up to 30% away from the cpu
 * backend's (whose reductions accumulate in JavaScript numbers, float64); with these kernels they
 * agree to the level at which the cpu backend itself moves when its input changes by 3e-7. Adding
 * four rows at a time also makes them ~2× faster than the shipped transpose-and-sum for that case.
 * Reductions of the innermost axis (softmax's, a full tf.sum) stay with the shipped kernels: their
 * C++ sums contiguous memory with SIMD, 4× faster than JavaScript can.
 */
// The shipped kernels must be registered before reductionKernelConfig captures them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { forEachIndex, stridesOf } from './heap_copy.js';
import { WASM } from './kernel_utils.js';

interface Group {
  size: number;
  reduced: boolean;
}

/** Adjacent axes of the same kind merged, size-1 axes dropped: the reduction as runs in memory. */
export function reductionGroups(shape: readonly number[], axes: readonly number[]): Group[] {
  const groups: Group[] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const reduced = axes.includes(d);
    const last = groups[groups.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else groups.push({ size, reduced });
  }
  return groups.length ? groups : [{ size: 1, reduced: false }];
}

/** The axes as tfjs's Sum / Mean take them (none means all). */
function reductionAxes(axis: number | number[] | null | undefined, shape: readonly number[]): number[] {
  return axis == null ? shape.map((_, i) => i) : util.parseAxisParam(axis, shape as number[]);
}

/** Whether `reduceFloat32` handles this reduction (else the shipped kernel does). */
export function keepsInnermostAxis(x: TensorInfo, axis: number | number[] | null | undefined): boolean {
  if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return false;
  const groups = reductionGroups(x.shape, reductionAxes(axis, x.shape));
  return !groups[groups.length - 1]!.reduced;
}

/** acc[at + i] += Σ_r src[from + r·run + i]: four rows added in float64, then accumulated. */
function sumRows(src: ArrayLike<number>, from: number, rows: number, run: number, acc: Float64Array, at: number): void {
  const r1 = run;
  const r2 = 2 * run;
  const r3 = 3 * run;
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const b = from + r * run;
    for (let i = 0; i < run; i++) acc[at + i] = acc[at + i]! + (src[b + i]! + src[b + r1 + i]! + (src[b + r2 + i]! + src[b + r3 + i]!));
  }
  for (; r < rows; r++) {
    const b = from + r * run;
    for (let i = 0; i < run; i++) acc[at + i] = acc[at + i]! + src[b + i]!;
  }
}

/** Σ (or the mean) of float32 `x` over `axis`, as tfjs's Sum / Mean define them; see `keepsInnermostAxis`. */
export function reduceFloat32(
  backend: BackendWasm,
  x: TensorInfo,
  axis: number | number[] | null | undefined,
  keepDims: boolean,
  mean: boolean,
): TensorInfo {
  const axes = reductionAxes(axis, x.shape);
  const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const count = util.sizeFromShape(reduceShape);
  const out = backend.makeOutput(keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32');
  const outSize = util.sizeFromShape(outShape);
  const groups = reductionGroups(x.shape, axes);
  const run = groups[groups.length - 1]!.size;
  const acc = new Float64Array(outSize);
  const src = backend.typedArrayFromHeap(x);
  if (groups.length === 2) {
    // [rows, run] summed over rows (batch norm).
    sumRows(src, 0, groups[0]!.size, run, acc, 0);
  } else if (groups.length === 3 && !groups[0]!.reduced) {
    // [blocks, rows, run] summed over rows (the global average pool's [N, H·W, C]).
    const rows = groups[1]!.size;
    for (let b = 0; b < groups[0]!.size; b++) sumRows(src, b * rows * run, rows, run, acc, b * run);
  } else if (groups.length > 2) {
    // Any other pattern whose innermost axes are kept: each contiguous run adds into a row of outputs.
    const srcStrides = stridesOf(groups.map((g) => g.size));
    const keptStrides = stridesOf(groups.filter((g) => !g.reduced).map((g) => g.size));
    let k = 0;
    const dstStrides = groups.map((g) => (g.reduced ? 0 : keptStrides[k++]!));
    forEachIndex(
      groups.slice(0, -1).map((g) => g.size),
      srcStrides.slice(0, -1),
      dstStrides.slice(0, -1),
      (from, to) => {
        for (let i = 0; i < run; i++) acc[to + i] = acc[to + i]! + src[from + i]!;
      },
    );
  } else {
    // Nothing reduced but size-1 axes: a copy.
    for (let i = 0; i < outSize; i++) acc[i] = src[i]!;
  }
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < outSize; i++) dst[i] = mean ? acc[i]! / count : acc[i]!;
  return out;
}

/**
 * Sum or Mean for wasm: reductions that keep the innermost axis (batch norm's) go through
 * `reduceFloat32` (float64 accumulation, no transpose); all others, and int32, go to the kernel
 * tfjs-backend-wasm ships, captured here before `registerTrainingKernels` replaces it.
 */
export function reductionKernelConfig(name: 'Sum' | 'Mean'): KernelConfig {
  const shipped = getKernel(name, WASM);
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (!keepsInnermostAxis(x, axis)) {
      if (!shipped)
        throw new Error(
          `${name}: tfjs-backend-wasm's ${name} kernel, which reduces ${x.dtype} over [${String(axis)}] here, was not registered`,
        );
      return shipped.kernelFunc(args);
    }
    return reduceFloat32(args.backend as BackendWasm, x, axis, keepDims, name === 'Mean');
  };
  return { kernelName: name, backendName: WASM, kernelFunc, ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}) };
}
