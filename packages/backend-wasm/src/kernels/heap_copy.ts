/**
 * Copies between tensors on the wasm heap in long contiguous runs, for the kernels whose shipped
 * versions move data one element at a time (Tile) or through a full copy of the input (Slice).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo, backend_util } from '@tensorflow/tfjs-core';

/** The dtypes whose data lives on the heap (strings live in JavaScript). */
export function onHeap(t: TensorInfo): boolean {
  return t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';
}

/**
 * Views of `input` and `output` on the heap. Take them only after every allocation of the kernel:
 * an allocation can grow the memory, which detaches earlier views.
 */
export function heapViews(backend: BackendWasm, input: TensorInfo, output: TensorInfo): [backend_util.TypedArray, backend_util.TypedArray] {
  return [backend.typedArrayFromHeap(input), backend.typedArrayFromHeap(output)];
}

/** Runs shorter than this are copied element by element: a subarray per run would cost more. */
const SHORT_RUN = 16;

export function copyRun(src: backend_util.TypedArray, from: number, dst: backend_util.TypedArray, to: number, length: number): void {
  if (length < SHORT_RUN) {
    for (let i = 0; i < length; i++) dst[to + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + length), to);
  }
}

/**
 * Calls `visit(offsetA, offsetB)` for every index of `dims` (row-major), where each offset is the
 * dot product of the index with `stridesA` / `stridesB`. An odometer, not recursion: it runs for
 * every row of a tensor.
 */
export function forEachIndex(
  dims: readonly number[],
  stridesA: readonly number[],
  stridesB: readonly number[],
  visit: (a: number, b: number) => void,
): void {
  const rank = dims.length;
  if (dims.some((d) => d === 0)) return;
  const index = new Array<number>(rank).fill(0);
  let a = 0;
  let b = 0;
  for (;;) {
    visit(a, b);
    let axis = rank - 1;
    while (axis >= 0) {
      index[axis]!++;
      a += stridesA[axis]!;
      b += stridesB[axis]!;
      if (index[axis]! < dims[axis]!) break;
      a -= stridesA[axis]! * dims[axis]!;
      b -= stridesB[axis]! * dims[axis]!;
      index[axis] = 0;
      axis--;
    }
    if (axis < 0) return;
  }
}

/** Row-major strides of `shape`, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}
