// A test-only JavaScript implementation of the fused training-BN kernels (the contract in
// src/blocks/batch_norm_training.ts), in float64, for the plain-JS cpu backend: it lets the fused
// path (runKernel, the registered gradient, the ReLU fusion in the network) be tested without the
// native oneDNN backend.
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
// Only the kernel names, from their module (no side effects), so that the conformance tests can
// import this file too without loading a second copy of core.
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL } from '../../src/blocks/batch_norm_training.js';

interface Attrs {
  readonly varianceEpsilon: number;
  readonly relu: boolean;
}

function values(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  return backend.readSync(t.dataId) as Float32Array;
}

const forward: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const cpu = backend as MathBackendCPU;
  const { varianceEpsilon, relu } = attrs as unknown as Attrs;
  const x = values(cpu, inputs['x']!);
  const scale = values(cpu, inputs['scale']!);
  const offset = values(cpu, inputs['offset']!);
  const shape = inputs['x']!.shape;
  const c = shape[3]!;
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c]! += x[i]!;
  for (let k = 0; k < c; k++) mean[k]! /= m;
  for (let i = 0; i < x.length; i++) variance[i % c]! += (x[i]! - mean[i % c]!) ** 2;
  for (let k = 0; k < c; k++) variance[k]! /= m;
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const v = (scale[k]! * (x[i]! - mean[k]!)) / Math.sqrt(variance[k]! + varianceEpsilon) + offset[k]!;
    y[i] = relu ? Math.max(v, 0) : v;
  }
  return [
    cpu.makeTensorInfo(shape, 'float32', y),
    cpu.makeTensorInfo([c], 'float32', Float32Array.from(mean)),
    cpu.makeTensorInfo([c], 'float32', Float32Array.from(variance)),
  ];
};

const backward: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const cpu = backend as MathBackendCPU;
  const { varianceEpsilon, relu } = attrs as unknown as Attrs;
  const [dy, x, scale, mean, variance, y] = (['dy', 'x', 'scale', 'mean', 'variance', 'y'] as const).map((n) =>
    values(cpu, inputs[n]!),
  ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const shape = inputs['x']!.shape;
  const c = shape[3]!;
  const m = x.length / c;
  const invstd = Array.from(variance, (v) => 1 / Math.sqrt(v + varianceEpsilon));
  const g = Float64Array.from(dy, (d, i) => (relu && y[i]! <= 0 ? 0 : d));
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % c]!) * invstd[i % c]!);
  const dOffset = new Float64Array(c);
  const dScale = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    dOffset[i % c]! += g[i]!;
    dScale[i % c]! += g[i]! * xhat[i]!;
  }
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    dx[i] = ((scale[k]! * invstd[k]!) / m) * (m * g[i]! - dOffset[k]! - xhat[i]! * dScale[k]!);
  }
  return [
    cpu.makeTensorInfo(shape, 'float32', dx),
    cpu.makeTensorInfo([c], 'float32', Float32Array.from(dScale)),
    cpu.makeTensorInfo([c], 'float32', Float32Array.from(dOffset)),
  ];
};

/** Registers both kernels for `backendName`; returns the function that unregisters them. */
export function registerFusedBatchNormCpu(backendName = 'cpu', kernels: 'both' | 'forward only' = 'both'): () => void {
  tf.registerKernel({ kernelName: BATCH_NORM_TRAINING_KERNEL, backendName, kernelFunc: forward });
  if (kernels === 'both') tf.registerKernel({ kernelName: BATCH_NORM_TRAINING_GRAD_KERNEL, backendName, kernelFunc: backward });
  return () => {
    tf.unregisterKernel(BATCH_NORM_TRAINING_KERNEL, backendName);
    if (kernels === 'both') tf.unregisterKernel(BATCH_NORM_TRAINING_GRAD_KERNEL, backendName);
  };
}
