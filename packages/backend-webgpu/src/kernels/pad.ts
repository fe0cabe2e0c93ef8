// A kernel fix for tfjs-backend-webgpu 4.22, registered over its own PadV2 on import.
//
// PadV2 of rank 5 and 6: its shader indexes and compares WGSL structs (`vec5`, `vec6`) as if they
// were vectors, so the pipeline fails validation and the result is garbage. @resnet/core's option-A
// shortcut steers clear of it: it subsamples rows, then columns, each with a rank-3 reshape + slice
// (blocks/shortcut.ts), so its gradient is a rank-3 pad. The fix stays for any other program that
// pads, or takes the gradient of a slice, at rank 5 or 6 (a slice's gradient is a pad of its rank).
// Here, ranks above 4 collapse to rank ≤ 4 (each padded axis merges with the unpadded axes after
// it), or, when more than 4 axes are padded, pad one axis at a time as a rank-2 pad. Ranks up to 4
// go to tfjs's kernel unchanged.
import { PadV2, getKernel, registerKernel, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

type Paddings = Array<[number, number]>;
interface Backend {
  disposeData(dataId: object): boolean;
}

/** Axes merged so that each group is one axis (padded or not) followed by unpadded axes. */
export function collapsePaddings(shape: readonly number[], paddings: Paddings): { shape: number[]; paddings: Paddings } {
  const groups: { size: number; pad: [number, number] }[] = [];
  shape.forEach((size, axis) => {
    const [before, after] = paddings[axis]!;
    const last = groups[groups.length - 1];
    if (last && before === 0 && after === 0) {
      last.size *= size;
      last.pad = [last.pad[0] * size, last.pad[1] * size];
    } else {
      groups.push({ size, pad: [before, after] });
    }
  });
  return { shape: groups.map((g) => g.size), paddings: groups.map((g) => g.pad) };
}

/** Registers the PadV2 fix over tfjs's kernel (once tfjs's webgpu kernels are registered). */
export function patchPadV2(): void {
  const pad = getKernel(PadV2, 'webgpu')?.kernelFunc;
  const reshapeKernel = getKernel('Reshape', 'webgpu')?.kernelFunc;
  if (!pad || !reshapeKernel) return;

  const reshape = (x: TensorInfo, shape: number[], backend: unknown): TensorInfo =>
    reshapeKernel({ inputs: { x }, backend, attrs: { shape } } as Parameters<KernelFunc>[0]) as TensorInfo;
  const padOnce = (x: TensorInfo, paddings: Paddings, constantValue: number, backend: unknown): TensorInfo =>
    pad({ inputs: { x }, backend, attrs: { paddings, constantValue } } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  /** reshape → pad → reshape, disposing the intermediates. */
  const padAs = (x: TensorInfo, shape: number[], paddings: Paddings, outShape: number[], value: number, backend: Backend): TensorInfo => {
    const flat = reshape(x, shape, backend);
    const padded = padOnce(flat, paddings, value, backend);
    const out = reshape(padded, outShape, backend);
    backend.disposeData(flat.dataId);
    backend.disposeData(padded.dataId);
    return out;
  };

  const padV2: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.shape.length <= 4) return pad(args);
    const backend = args.backend as Backend;
    const { paddings, constantValue } = args.attrs as unknown as { paddings: Paddings; constantValue: number };
    const outShape = x.shape.map((size, axis) => paddings[axis]![0] + size + paddings[axis]![1]);
    const collapsed = collapsePaddings(x.shape, paddings);
    if (collapsed.shape.length <= 4) return padAs(x, collapsed.shape, collapsed.paddings, outShape, constantValue, backend);
    // More than four padded axes: one axis at a time, each as [before-axes, axis × after-axes].
    let current = x;
    const shape = [...x.shape];
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const next = [...shape];
      next[axis] = before + shape[axis]! + after;
      const padded = padAs(
        current,
        [outer, shape[axis]! * inner],
        [
          [0, 0],
          [before * inner, after * inner],
        ],
        next,
        constantValue,
        backend,
      );
      if (current !== x) backend.disposeData(current.dataId);
      current = padded;
      shape.splice(0, shape.length, ...next);
    });
    return current;
  };

  unregisterKernel(PadV2, 'webgpu');
  registerKernel({ kernelName: PadV2, backendName: 'webgpu', kernelFunc: padV2 });
}
