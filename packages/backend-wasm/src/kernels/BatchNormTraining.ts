/**
 * @resnet/core's fused batch norm in training mode and its closed-form gradient
 * (`ResNetBatchNormTraining`, `ResNetBatchNormTrainingGrad`; the contract is in core's
 * blocks/batch_norm_training.ts), NHWC float32, in C on the wasm heap (csrc/batch_norm.c): one
 * pass for the statistics (float64 sums), one to normalise (with the ReLU), and the same two for
 * the gradient. Without them core runs ~10 tfjs kernels each way per BN layer (moments, the
 * broadcasts of batchNorm and their gradients, Tile, Sum), each a pass over the activations.
 * Registered only when the module loaded on the backend (own_kernels.ts): otherwise core sees no
 * fused kernel and runs its composite ops.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, offsetOf, requireOwnKernels, withScratch } from '../own_kernels.js';
import { WASM, expectFloat32, expectShape } from './kernel_utils.js';

const FORWARD = 'ResNetBatchNormTraining';
const GRADIENT = 'ResNetBatchNormTrainingGrad';

interface TrainingAttrs {
  varianceEpsilon: number;
  relu: boolean;
}

function trainingAttrs(kernel: string, attrs: NamedAttrMap | undefined): TrainingAttrs {
  const { varianceEpsilon, relu } = (attrs ?? {}) as unknown as Partial<TrainingAttrs>;
  if (typeof varianceEpsilon !== 'number' || !Number.isFinite(varianceEpsilon) || varianceEpsilon < 0)
    throw new Error(`${kernel}: varianceEpsilon must be a finite number ≥ 0, got ${String(varianceEpsilon)}`);
  if (typeof relu !== 'boolean') throw new Error(`${kernel}: relu must be true or false, got ${String(relu)}`);
  return { varianceEpsilon, relu };
}

/** [rows = N·H·W, C] of a float32 NHWC tensor with no empty axis. */
function rowsAndChannels(kernel: string, name: string, x: TensorInfo): [number, number] {
  expectFloat32(kernel, name, x);
  if (x.shape.length !== 4 || x.shape.some((d) => !(d > 0)))
    throw new Error(`${kernel}: ${name} must be a non-empty NHWC [N, H, W, C] tensor, got shape [${x.shape.join(', ')}]`);
  const c = x.shape[3]!;
  return [util.sizeFromShape(x.shape) / c, c];
}

function perChannel(kernel: string, c: number, named: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(named)) {
    if (!t) throw new Error(`${kernel}: the input ${name} is missing`);
    expectFloat32(kernel, name, t);
    expectShape(kernel, name, t.shape, [c]);
  }
}

export const batchNormTraining: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as BackendWasm;
  const { exports, job } = requireOwnKernels(FORWARD, backend);
  const { x, scale, offset } = inputs as { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
  const [rows, c] = rowsAndChannels(FORWARD, 'x', x);
  perChannel(FORWARD, c, { scale, offset });
  const { varianceEpsilon, relu } = trainingAttrs(FORWARD, attrs);
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  try {
    const bytes = exports.bn_train_scratch_bytes(c);
    withScratch(backend, bytes, (scratch) =>
      checkStatus(
        FORWARD,
        exports.bn_train_forward(
          job,
          offsetOf(backend, x),
          rows,
          c,
          offsetOf(backend, scale),
          offsetOf(backend, offset),
          varianceEpsilon,
          relu ? 1 : 0,
          offsetOf(backend, y),
          offsetOf(backend, mean),
          offsetOf(backend, variance),
          scratch,
          bytes,
        ),
      ),
    );
  } catch (e) {
    for (const t of [y, mean, variance]) backend.disposeData(t.dataId);
    throw e;
  }
  return [y, mean, variance];
};

export const batchNormTrainingGrad: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as BackendWasm;
  const { exports, job } = requireOwnKernels(GRADIENT, backend);
  const { dy, x, scale, mean, variance, y } = inputs as Record<string, TensorInfo | undefined>;
  if (!dy || !x) throw new Error(`${GRADIENT}: the inputs dy and x are required`);
  const [rows, c] = rowsAndChannels(GRADIENT, 'x', x);
  expectFloat32(GRADIENT, 'dy', dy);
  expectShape(GRADIENT, 'dy', dy.shape, x.shape);
  perChannel(GRADIENT, c, { scale, mean, variance });
  const { varianceEpsilon, relu } = trainingAttrs(GRADIENT, attrs);
  if (relu) {
    if (!y) throw new Error(`${GRADIENT}: with relu, the forward output y is required (it masks dy)`);
    expectFloat32(GRADIENT, 'y', y);
    expectShape(GRADIENT, 'y', y.shape, x.shape);
  }
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dScale = backend.makeOutput([c], 'float32');
  const dOffset = backend.makeOutput([c], 'float32');
  try {
    const bytes = exports.bn_train_scratch_bytes(c);
    withScratch(backend, bytes, (scratch) =>
      checkStatus(
        GRADIENT,
        exports.bn_train_backward(
          job,
          offsetOf(backend, dy),
          offsetOf(backend, x),
          relu ? offsetOf(backend, y!) : 0,
          rows,
          c,
          offsetOf(backend, scale!),
          offsetOf(backend, mean!),
          offsetOf(backend, variance!),
          varianceEpsilon,
          offsetOf(backend, dx),
          offsetOf(backend, dScale),
          offsetOf(backend, dOffset),
          scratch,
          bytes,
        ),
      ),
    );
  } catch (e) {
    for (const t of [dx, dScale, dOffset]) backend.disposeData(t.dataId);
    throw e;
  }
  return [dx, dScale, dOffset];
};

export const batchNormTrainingConfig: KernelConfig = { kernelName: FORWARD, backendName: WASM, kernelFunc: batchNormTraining };
export const batchNormTrainingGradConfig: KernelConfig = { kernelName: GRADIENT, backendName: WASM, kernelFunc: batchNormTrainingGrad };
