// The two kinds of WebGPU program this package's kernels are made of, in tfjs-backend-webgpu's form
// (a WebGPUProgram: variableNames, outputShape, uniforms, workgroupSize, dispatchLayout, dispatch,
// getUserCode; run by backend.runWebGPUProgram, which adds the bindings and uniforms tfjs declares
// for every program). A tfjs program writes one output, so a kernel with several outputs runs one
// program per output.
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** A program-defined uniform, as runWebGPUProgram takes it (in the order the `uniforms` string declares them). */
export interface Uniform {
  readonly type: 'float32' | 'int32';
  readonly data: readonly number[];
}

export const int = (value: number): Uniform => ({ type: 'int32', data: [value] });
export const float = (value: number): Uniform => ({ type: 'float32', data: [value] });

/**
 * One invocation per output element: `body` is WGSL that computes element `index` (in bounds) from
 * the inputs, read as flat arrays by their variable names, and calls setOutputAtIndex(index, value).
 */
export class ElementwiseProgram implements WebGPUProgram {
  readonly outputShape: number[];
  readonly variableNames: string[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly size = true;
  readonly uniforms?: string;

  constructor(
    key: string,
    outputShape: readonly number[],
    variableNames: readonly string[],
    private readonly body: string,
    uniforms?: string,
  ) {
    this.shaderKey = key;
    this.outputShape = [...outputShape];
    this.variableNames = [...variableNames];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize);
    if (uniforms) this.uniforms = uniforms;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body}
        }
      }`;
  }
}

/**
 * Per-channel sums of an NHWC tensor seen as [positions, channels] (positions = N·H·W): one workgroup
 * per channel, each invocation summing every WG-th position, then a tree over the workgroup's partial
 * sums. `term` is WGSL that declares `term` (of `type`) for the element at flat index `i` of channel
 * `c`; `finish` writes the output from `total`, the channel's sum. The error of an f32 sum grows with
 * the number of terms added one after the other: here that is positions / WG, then log2(WG) levels.
 */
export class ChannelSumProgram implements WebGPUProgram {
  readonly outputShape: number[];
  readonly variableNames: string[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms: string;

  constructor(
    key: string,
    outputShape: readonly number[],
    variableNames: readonly string[],
    channels: number,
    positions: number,
    private readonly type: 'f32' | 'vec2<f32>' | 'vec3<f32>',
    private readonly term: string,
    private readonly finish: string,
    uniforms = '',
  ) {
    this.shaderKey = key;
    this.outputShape = [...outputShape];
    this.variableNames = [...variableNames];
    // Enough invocations for the positions, a power of two for the tree.
    this.workgroupSize = [positions >= 1024 ? 256 : 64, 1, 1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = [channels, 1, 1];
    this.uniforms = `channels : i32, positions : i32, ${uniforms}`;
  }

  getUserCode(): string {
    const wg = this.workgroupSize[0];
    return `
      var<workgroup> partial : array<${this.type}, ${wg}>;
      fn main(index : i32) {
        let c = index / ${wg};
        let lane = index - c * ${wg};
        var acc = ${this.type}(0.0);
        for (var m = lane; m < uniforms.positions; m = m + ${wg}) {
          let i = m * uniforms.channels + c;
          ${this.term}
          acc = acc + term;
        }
        partial[lane] = acc;
        workgroupBarrier();
        for (var half = ${wg / 2}; half > 0; half = half / 2) {
          if (lane < half) {
            partial[lane] = partial[lane] + partial[lane + half];
          }
          workgroupBarrier();
        }
        if (lane == 0) {
          let total = partial[0];
          ${this.finish}
        }
      }`;
  }
}

/** Runs `program` on `inputs` into a new tensor (float32 unless told), with its program-defined uniforms. */
export function run(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: readonly TensorInfo[],
  uniforms: readonly Uniform[] = [],
  dtype: DataType = 'float32',
): TensorInfo {
  return backend.runWebGPUProgram(
    program,
    [...inputs],
    dtype,
    uniforms.map((u) => ({ type: u.type, data: [...u.data] })),
  );
}
