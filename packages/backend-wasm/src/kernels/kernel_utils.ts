/**
 * Helpers for kernels composed of other wasm kernels. tfjs's own backends build composite kernels
 * by calling kernel functions directly (not ops): nothing is recorded on the gradient tape, no
 * engine tensor is created, and each intermediate is freed with `backend.disposeData`.
 */
import { backend_util, getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

export const WASM = 'wasm';

/** One output of the `wasm` kernel `name`, run on `backend`. */
export function runKernel(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = getKernel(name, WASM);
  if (kernel == null)
    throw new Error(`@resnet/backend-wasm: the wasm backend has no "${name}" kernel, which the training kernels are built on`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0]! : (out as TensorInfo);
}

/** Collects intermediates and frees them together (the kernel's result is never added). */
export class Scratch {
  private readonly held: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}

  /** Runs a kernel and remembers its output for `dispose`. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = runKernel(name, this.backend, inputs, attrs);
    this.held.push(out);
    return out;
  }

  /** Adds a tensor made otherwise (by a C kernel) to what `dispose` frees. */
  hold(t: TensorInfo): TensorInfo {
    this.held.push(t);
    return t;
  }

  /** Takes `t` (the kernel's result) out of what `dispose` frees. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.held.lastIndexOf(t);
    if (i < 0) throw new Error('@resnet/backend-wasm: keep() was given a tensor this scratch did not create');
    this.held.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.held) this.backend.disposeData(t.dataId);
    this.held.length = 0;
  }
}

export function transpose(s: Scratch, x: TensorInfo, perm: number[]): TensorInfo {
  return s.run('Transpose', { x }, { perm });
}

export function reshape(s: Scratch, x: TensorInfo, shape: number[]): TensorInfo {
  return s.run('Reshape', { x }, { shape });
}

/** Zero padding; returns `x` itself when there is none. */
export function pad(s: Scratch, x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
  if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
  return s.run('PadV2', { x }, { paddings, constantValue: 0 });
}

/** `x[begin : begin + size]`; returns `x` itself when that is all of it. */
export function slice(s: Scratch, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  if (begin.every((b) => b === 0) && size.every((n, i) => n === x.shape[i])) return x;
  return s.run('Slice', { x }, { begin, size });
}

/** Checks what every kernel here assumes; the message names the kernel, the value and what was expected. */
export function expectFloat32(kernel: string, name: string, t: TensorInfo): void {
  if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
}

export function expectShape(kernel: string, name: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${kernel}: ${name} has shape [${actual.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

/** The attrs' layout as `computeConv2DInfo` takes it. */
export function dataFormatOf(dataFormat: 'NHWC' | 'NCHW' | undefined): 'channelsLast' | 'channelsFirst' {
  return backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
}

/** NCHW → NHWC and back. */
export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];
