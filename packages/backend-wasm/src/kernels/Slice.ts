/**
 * Slice for wasm, replacing tfjs-backend-wasm 4.22's own for data on the heap. The shipped kernel is
 * JavaScript that first copies the whole input off the heap (`readSync`), then copies row by row,
 * and above rank 4 computes every element's index on its own (tfjs-backend-cpu's generic slice).
 * Option A's shortcut takes every other pixel with slices (`subsample` in @resnet/core): the
 * rank-3 form it uses, [N·H/2, 2, W·C] → [N·H/2, 1, W·C], takes 1.6 ms shipped and 0.19 ms here at
 * 32×32×32×16; the same pixels as one rank-6 slice took 170 ms shipped and 1 ms here. Axes are
 * merged where the slice keeps them contiguous, and each remaining run is copied heap to heap.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, slice_util, type KernelConfig, type KernelFunc, type SliceAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { copyRun, forEachIndex, heapViews, onHeap, stridesOf } from './heap_copy.js';
import { WASM } from './kernel_utils.js';

const NAME = 'Slice';

/** tfjs-backend-wasm's own Slice, captured before `registerTrainingKernels` replaces it (strings). */
const shipped = getKernel(NAME, WASM);

interface Axis {
  /** The input's extent. */
  size: number;
  begin: number;
  /** The output's extent. */
  take: number;
}

/**
 * Merges each axis into the one before it when the result stays one strided run: when this axis is
 * taken whole, or when the one before contributes a single index.
 */
export function mergeSliceAxes(shape: readonly number[], begin: readonly number[], size: readonly number[]): Axis[] {
  const axes: Axis[] = [];
  for (let i = 0; i < shape.length; i++) {
    const axis = { size: shape[i]!, begin: begin[i]!, take: size[i]! };
    const last = axes[axes.length - 1];
    if (last && axis.begin === 0 && axis.take === axis.size) {
      last.begin *= axis.size;
      last.take *= axis.size;
      last.size *= axis.size;
    } else if (last && last.take === 1) {
      last.begin = last.begin * axis.size + axis.begin;
      last.take = axis.take;
      last.size *= axis.size;
    } else {
      axes.push(axis);
    }
  }
  return axes.length ? axes : [{ size: 1, begin: 0, take: 1 }];
}

export const slice: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { begin: beginAttr, size: sizeAttr } = args.attrs as unknown as SliceAttrs;
  const backend = args.backend as BackendWasm;
  if (!onHeap(x)) {
    if (!shipped) throw new Error(`${NAME}: no fallback kernel for dtype ${x.dtype} (tfjs-backend-wasm's Slice was not registered)`);
    return shipped.kernelFunc(args);
  }
  const [begin, size] = slice_util.parseSliceParams(x, beginAttr, sizeAttr) as [number[], number[]];
  slice_util.assertParamsValid(x, begin, size);
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((d) => d === 0)) return out;
  const [src, dst] = heapViews(backend, x, out);

  const axes = mergeSliceAxes(x.shape, begin, size);
  const srcStrides = stridesOf(axes.map((a) => a.size));
  const dstStrides = stridesOf(axes.map((a) => a.take));
  const last = axes.length - 1;
  const run = axes[last]!.take;
  const start = axes.reduce((offset, a, i) => offset + a.begin * srcStrides[i]!, 0);
  forEachIndex(
    axes.slice(0, last).map((a) => a.take),
    srcStrides.slice(0, last),
    dstStrides.slice(0, last),
    (from, to) => copyRun(src, start + from, dst, to, run),
  );
  return out;
};

export const sliceConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: slice,
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
