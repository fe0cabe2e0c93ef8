/**
 * Tile for wasm, replacing tfjs-backend-wasm 4.22's own for data on the heap. tfjs-core's batch-norm
 * gradient tiles the per-channel 1/σ to the full [N, H, W, C] activation once per BN layer, and the
 * shipped kernel computes a source index per element: 40–75 ms for each 32×32×32×16 tile, a quarter
 * of a ResNet-20 training step. Here the input is copied once and then doubled with `copyWithin`
 * (a memmove) along each tiled axis, about 30 calls for that case.
 *
 * Axes are merged first, which is what makes the copies long: an untiled axis merges into the axis
 * before it, and a size-1 axis into the axis after it, so [1, 1, 1, C] tiled by [N, H, W, 1] is one
 * axis of C elements tiled N·H·W times. When the merged runs stay short (tiling a column, say), the
 * shipped kernel is used: there a JavaScript call per run would cost more than its loop. Strings,
 * which the shipped kernel aborts on, are tiled element by element.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs-core';
import { forEachIndex, heapViews, onHeap, stridesOf } from './heap_copy.js';
import { WASM } from './kernel_utils.js';

const NAME = 'Tile';

/** tfjs-backend-wasm's own Tile, captured before `registerTrainingKernels` replaces it. */
const shipped = getKernel(NAME, WASM);

/** Average elements per JavaScript-level copy below which the shipped loop is faster. */
const MIN_AVERAGE_RUN = 16;

interface Axis {
  size: number;
  reps: number;
}

/** Merges axes without changing the result: see the file comment. */
export function mergeTileAxes(shape: readonly number[], reps: readonly number[]): Axis[] {
  const axes: Axis[] = [];
  for (let i = 0; i < shape.length; i++) {
    const axis = { size: shape[i]!, reps: reps[i]! };
    if (axis.size === 1 && axis.reps === 1) continue;
    const last = axes[axes.length - 1];
    if (last && axis.reps === 1) {
      last.size *= axis.size;
    } else if (last && last.size === 1) {
      last.size = axis.size;
      last.reps *= axis.reps;
    } else {
      axes.push(axis);
    }
  }
  return axes.length ? axes : [{ size: 1, reps: 1 }];
}

export const tile: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { reps } = args.attrs as unknown as TileAttrs;
  const backend = args.backend as BackendWasm;
  if (reps.length !== x.shape.length)
    throw new Error(`${NAME}: reps has ${reps.length} entries, expected one per axis of x (rank ${x.shape.length})`);
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const axes = mergeTileAxes(x.shape, reps);
  const calls = copyCalls(axes);
  if (x.dtype === 'string') return tileStrings(backend, x, outShape);
  if (!onHeap(x)) throw new Error(`${NAME}: x has dtype ${x.dtype}, expected float32, int32, bool or string`);
  if (outSize > 0 && calls * MIN_AVERAGE_RUN > outSize && calls > 64) {
    if (!shipped) throw new Error(`${NAME}: no fallback for short runs (tfjs-backend-wasm's Tile was not registered)`);
    return shipped.kernelFunc(args);
  }
  const out = backend.makeOutput(outShape, x.dtype);
  if (outSize === 0) return out;
  const [src, dst] = heapViews(backend, x, out);

  const sizes = axes.map((a) => a.size);
  const outDims = axes.map((a) => a.size * a.reps);
  const srcStrides = stridesOf(sizes);
  const dstStrides = stridesOf(outDims);
  const rank = axes.length;
  const row = sizes[rank - 1]!;
  // Seed: the input at tile index 0 of every axis, one contiguous row at a time.
  forEachIndex(sizes.slice(0, -1), srcStrides.slice(0, -1), dstStrides.slice(0, -1), (from, to) => {
    dst.set(src.subarray(from, from + row), to);
  });
  // Then each axis, innermost first: its filled slab is doubled until it fills the tiled extent.
  for (let axis = rank - 1; axis >= 0; axis--) {
    const { size, reps: times } = axes[axis]!;
    if (times === 1) continue;
    const slab = size * dstStrides[axis]!;
    const total = slab * times;
    forEachIndex(sizes.slice(0, axis), dstStrides.slice(0, axis), dstStrides.slice(0, axis), (base) => {
      for (let filled = slab; filled < total; ) {
        const n = Math.min(filled, total - filled);
        dst.copyWithin(base + filled, base, base + n);
        filled += n;
      }
    });
  }
  return out;
};

/**
 * Strings live in JavaScript (`stringBytes`), not on the heap, and the shipped kernel aborts on them:
 * one source index per element, as tfjs-backend-cpu does.
 */
function tileStrings(backend: BackendWasm, x: TensorInfo, outShape: number[]): TensorInfo {
  const values = backend.readSync(x.dataId) as Uint8Array[];
  const out = backend.makeOutput(outShape, 'string');
  const outStrides = stridesOf(outShape);
  const inStrides = stridesOf(x.shape);
  const result = new Array<Uint8Array>(outShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < result.length; i++) {
    let source = 0;
    for (let axis = 0; axis < outShape.length; axis++) {
      const index = Math.floor(i / outStrides[axis]!) % outShape[axis]!;
      source += (index % x.shape[axis]!) * inStrides[axis]!;
    }
    result[i] = values[source]!;
  }
  backend.dataIdMap.get(out.dataId)!.stringBytes = result;
  return out;
}

/** JavaScript-level copies the fast path makes for these axes. */
function copyCalls(axes: readonly Axis[]): number {
  let outer = 1;
  let calls = 0;
  for (let i = 0; i < axes.length; i++) {
    const { size, reps } = axes[i]!;
    if (reps > 1) calls += outer * Math.ceil(Math.log2(reps));
    if (i < axes.length - 1) outer *= size;
  }
  return calls + outer; // + the seed rows
}

export const tileConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: tile,
  // The fallback's own setup (it binds its C++ function when the backend starts).
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
