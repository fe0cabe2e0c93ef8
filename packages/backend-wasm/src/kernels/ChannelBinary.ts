/**
 * Add, Sub and Multiply of float32 tensors where one operand is a per-channel vector, [C] (or
 * [1, …, 1, C]), and the other any [..., C] tensor (NHWC activations): in C on the wasm heap
 * (csrc/elementwise.c), one pass over memory. tfjs-backend-wasm 4.22 runs this broadcast 4–5×
 * slower than a same-shape operation (measured on a ResNet-20 step: 5.7 ms for a [C]-broadcast
 * multiply of [128, 32, 32, 16], 0.9 ms same-shape). Every other case (same shapes, other
 * broadcasts, int32, or no module loaded on this backend) goes to the kernel tfjs ships, captured
 * here before `registerTrainingKernels` replaces it.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, offsetOf, ownKernelsOf } from '../own_kernels.js';
import { WASM } from './kernel_utils.js';

/** Operation codes of csrc/elementwise.c. */
const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;
type Op = keyof typeof OPS;

export interface ChannelBroadcast {
  /** The [..., C] operand, and whether it is the right-hand one (b). */
  full: TensorInfo;
  fullIsB: boolean;
  vector: TensorInfo;
  rows: number;
  channels: number;
}

/**
 * `a op b` as `full op vector` (or `vector op full`) when one side is float32 [..., C] with more
 * than one row and the other is [C] after its leading 1s: the case the C kernel handles.
 */
export function channelBroadcast(a: TensorInfo, b: TensorInfo): ChannelBroadcast | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const isVectorOf = (v: TensorInfo, f: TensorInfo): boolean => {
    const c = f.shape[f.shape.length - 1];
    if (f.shape.length < 2 || v.shape.length > f.shape.length || c === undefined || !(c > 0)) return false;
    return v.shape.length >= 1 && v.shape[v.shape.length - 1] === c && v.shape.slice(0, -1).every((d) => d === 1);
  };
  const plan = (full: TensorInfo, vector: TensorInfo, fullIsB: boolean): ChannelBroadcast | undefined => {
    const channels = full.shape[full.shape.length - 1]!;
    const rows = util.sizeFromShape(full.shape) / channels;
    return rows > 1 ? { full, fullIsB, vector, rows, channels } : undefined;
  };
  if (isVectorOf(b, a)) return plan(a, b, false);
  if (isVectorOf(a, b)) return plan(b, a, true);
  return undefined;
}

function channelKernelConfig(name: Op): KernelConfig {
  const shipped = getKernel(name, WASM);
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as BackendWasm;
    const own = ownKernelsOf(backend);
    const plan = own ? channelBroadcast(a, b) : undefined;
    if (!own || !plan) {
      if (!shipped)
        throw new Error(
          `${name}: tfjs-backend-wasm's ${name} kernel, which handles ${a.dtype} [${a.shape}] and [${b.shape}], was not registered`,
        );
      return shipped.kernelFunc(args);
    }
    const out = backend.makeOutput([...plan.full.shape], 'float32');
    try {
      checkStatus(
        name,
        own.exports.channel_binary(
          own.job,
          OPS[name],
          plan.fullIsB ? 1 : 0,
          offsetOf(backend, plan.full),
          plan.rows,
          plan.channels,
          offsetOf(backend, plan.vector),
          offsetOf(backend, out),
        ),
      );
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
    return out;
  };
  return { kernelName: name, backendName: WASM, kernelFunc, ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}) };
}

export const addConfig = channelKernelConfig('Add');
export const subConfig = channelKernelConfig('Sub');
export const multiplyConfig = channelKernelConfig('Multiply');
