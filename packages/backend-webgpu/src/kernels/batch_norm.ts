// @resnet/core's fused training-mode batch norm (Sec. 3.4; the kernel contract is in core's
// blocks/batch_norm_training.ts) as WGSL programs, NHWC float32, with M = N·H·W positions per channel:
//
// - ResNetBatchNormTraining: the mean (one dispatch); the biased variance about it from Σe and Σe²,
//   e = x − mean, a second pass over x (one dispatch); y = γ·(x − mean)/√(var + ε) + β and the ReLU (one).
// - ResNetBatchNormTrainingGrad: Σg, Σg·e and Σe of every channel in one reduction, g = dy masked by
//   y > 0 under ReLU; dx = γ·invstd·(g − Σg/M − x̂·Σg·x̂/M) from those (one dispatch); dβ = Σg and
//   dγ = invstd·Σg·x̂ handed out as their own [C] tensors (one tiny dispatch each: a tfjs program
//   writes one output).
//
// - ResNetBatchNormRunningStats: running' = running·(1 − momentum) + batch·momentum for the mean and
//   for the unbiased variance (batch variance·count/(count − 1)): one dispatch each.
//
// The sums are two-level (each invocation adds every 64th or 256th position, then a tree over the
// workgroup), so that their float32 error stays near that of a sum of M/256 terms.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL, BN_RUNNING_STATS_KERNEL } from '@resnet/core';
import { ChannelSumProgram, ElementwiseProgram, float, int, run } from './programs.js';

interface TrainingAttrs {
  readonly varianceEpsilon: number;
  readonly relu: boolean;
}

function trainingAttrs(kernel: string, attrs: NamedAttrMap | undefined): TrainingAttrs {
  const { varianceEpsilon, relu } = (attrs ?? {}) as unknown as TrainingAttrs;
  if (typeof varianceEpsilon !== 'number' || !(varianceEpsilon >= 0))
    throw new Error(`webgpu: ${kernel} needs varianceEpsilon ≥ 0, got ${String(varianceEpsilon)}`);
  return { varianceEpsilon, relu: relu === true };
}

const size = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);
const isF32 = (...ts: (TensorInfo | undefined)[]): boolean => ts.every((t) => t !== undefined && t.dtype === 'float32');

/** [M, C] of a float32 NHWC tensor with no empty axis, or an error naming what came instead. */
function positionsAndChannels(kernel: string, x: TensorInfo): [number, number] {
  if (x.shape.length !== 4 || x.dtype !== 'float32' || x.shape.some((d) => d <= 0))
    throw new Error(`webgpu: ${kernel} needs a float32 [N, H, W, C] x, got ${x.dtype} [${x.shape.join(', ')}]`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return [n * h * w, c];
}

function checkPerChannel(kernel: string, c: number, named: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(named)) {
    if (!t || t.dtype !== 'float32' || t.shape.length !== 1 || t.shape[0] !== c)
      throw new Error(`webgpu: ${kernel} needs a float32 [${c}] ${name}, got ${t ? `${t.dtype} [${t.shape.join(', ')}]` : 'none'}`);
  }
}

const invstd = 'inverseSqrt(variance[c] + uniforms.epsilon)';

const batchNormTraining: KernelFunc = ({ inputs, backend, attrs }) => {
  const kernel = BATCH_NORM_TRAINING_KERNEL;
  const { x, scale, offset } = inputs as { x: TensorInfo; scale?: TensorInfo; offset?: TensorInfo };
  const [m, c] = positionsAndChannels(kernel, x);
  checkPerChannel(kernel, c, { scale, offset });
  const { varianceEpsilon, relu } = trainingAttrs(kernel, attrs);
  const gpu = backend as WebGPUBackend;
  const shape = [int(c), int(m)];

  const mean = run(
    gpu,
    new ChannelSumProgram(
      'resnet_bn_mean',
      [c],
      ['x'],
      c,
      m,
      'f32',
      'let term = x[i];',
      'setOutputAtIndex(c, total / f32(uniforms.positions));',
    ),
    [x],
    shape,
  );
  // Σe and Σe² with e = x − mean: the mean is rounded to float32, and Σe/M is what that rounding
  // left over, so var = Σe²/M − (Σe/M)² is the variance about the exact mean (corrected two-pass).
  const variance = run(
    gpu,
    new ChannelSumProgram(
      'resnet_bn_variance',
      [c],
      ['x', 'mean'],
      c,
      m,
      'vec2<f32>',
      'let e = x[i] - mean[c]; let term = vec2<f32>(e, e * e);',
      `let positions = f32(uniforms.positions);
       let shift = total.x / positions;
       setOutputAtIndex(c, max(total.y / positions - shift * shift, 0.0));`,
    ),
    [x, mean],
    shape,
  );
  const y = run(
    gpu,
    new ElementwiseProgram(
      `resnet_bn_normalize${relu ? '_relu' : ''}`,
      x.shape,
      ['x', 'mean', 'variance', 'scale', 'offset'],
      `let c = index % uniforms.channels;
       let v = (x[index] - mean[c]) * (scale[c] * ${invstd}) + offset[c];
       setOutputAtIndex(index, ${relu ? 'select(v, 0.0, v < 0.0)' : 'v'});`,
      'channels : i32, epsilon : f32,',
    ),
    [x, mean, variance, scale!, offset!],
    [int(c), float(varianceEpsilon)],
  );
  return [y, mean, variance];
};

const batchNormTrainingGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const kernel = BATCH_NORM_TRAINING_GRAD_KERNEL;
  const { dy, x, scale, mean, variance, y } = inputs as Record<string, TensorInfo | undefined>;
  const [m, c] = positionsAndChannels(kernel, x!);
  if (!isF32(dy) || size(dy!) !== size(x!))
    throw new Error(`webgpu: ${kernel} needs a float32 dy of x's shape [${x!.shape.join(', ')}], got [${dy?.shape.join(', ')}]`);
  checkPerChannel(kernel, c, { scale, mean, variance });
  const { varianceEpsilon, relu } = trainingAttrs(kernel, attrs);
  if (relu && (!isF32(y) || size(y!) !== size(x!)))
    throw new Error(`webgpu: ${kernel} with relu needs the forward output y of x's shape [${x!.shape.join(', ')}]`);
  const gpu = backend as WebGPUBackend;
  const g = relu ? 'select(0.0, dy[i], y[i] > 0.0)' : 'dy[i]';
  const masked = relu ? ['y'] : [];
  const epsilon = float(varianceEpsilon);

  // [Σg, Σg·e', Σe] per channel, as rows of one [3, C] tensor, with e = x − mean and e' = e − Σe/M,
  // x centred on the exact mean rather than on its float32 rounding (see the variance above): with
  // few positions per channel (N·H·W = 2 at the last stage of a small ImageNet net) and values close
  // together, that rounding is a large part of e, and dx = γ·invstd·(g − Σg/M − x̂·Σg·x̂/M) is a
  // difference of nearly equal terms that carries it over (measured against float64: test/bn_float64.ts).
  const sums = run(
    gpu,
    new ChannelSumProgram(
      `resnet_bn_grad_sums${relu ? '_relu' : ''}`,
      [3, c],
      ['dy', 'x', 'mean', ...masked],
      c,
      m,
      'vec3<f32>',
      `let g = ${g}; let e = x[i] - mean[c]; let term = vec3<f32>(g, g * e, e);`,
      `let shift = total.z / f32(uniforms.positions);
       setOutputAtIndex(c, total.x);
       setOutputAtIndex(uniforms.channels + c, total.y - shift * total.x);
       setOutputAtIndex(2 * uniforms.channels + c, shift);`,
    ),
    [dy!, x!, mean!, ...(relu ? [y!] : [])],
    [int(c), int(m)],
  );
  const dx = run(
    gpu,
    new ElementwiseProgram(
      `resnet_bn_grad_dx${relu ? '_relu' : ''}`,
      x!.shape,
      ['dy', 'x', 'scale', 'mean', 'variance', 'sums', ...masked],
      `let c = index % uniforms.channels;
       let i = index;
       let inv = ${invstd};
       let positions = f32(uniforms.positions);
       let xhat = (x[i] - mean[c] - sums[2 * uniforms.channels + c]) * inv;
       let meanG = sums[c] / positions;
       let meanGXhat = sums[uniforms.channels + c] * inv / positions;
       setOutputAtIndex(index, scale[c] * inv * (${g} - meanG - xhat * meanGXhat));`,
      'channels : i32, positions : i32, epsilon : f32,',
    ),
    [dy!, x!, scale!, mean!, variance!, sums, ...(relu ? [y!] : [])],
    [int(c), int(m), epsilon],
  );
  const dScale = run(
    gpu,
    new ElementwiseProgram(
      'resnet_bn_grad_scale',
      [c],
      ['sums', 'variance'],
      `let c = index; setOutputAtIndex(index, sums[uniforms.channels + c] * ${invstd});`,
      'channels : i32, epsilon : f32,',
    ),
    [sums, variance!],
    [int(c), epsilon],
  );
  const dOffset = run(gpu, new ElementwiseProgram('resnet_bn_grad_offset', [c], ['sums'], 'setOutputAtIndex(index, sums[index]);'), [sums]);
  gpu.disposeData(sums.dataId);
  return [dx, dScale, dOffset];
};

const batchNormRunningStats: KernelFunc = ({ inputs, backend, attrs }) => {
  const kernel = BN_RUNNING_STATS_KERNEL;
  const { runningMean, runningVar, mean, variance } = inputs as Record<string, TensorInfo | undefined>;
  const c = mean?.shape[0] ?? 0;
  checkPerChannel(kernel, c, { runningMean, runningVar, mean, variance });
  const { momentum, count } = (attrs ?? {}) as unknown as { momentum: number; count: number };
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1) || typeof count !== 'number' || !(count >= 1))
    throw new Error(`webgpu: ${kernel} needs a momentum in [0, 1] and a count ≥ 1, got ${String(momentum)} and ${String(count)}`);
  const gpu = backend as WebGPUBackend;
  // The contract's float32 order: (batch·unbias)·momentum, with unbias = 1 (exact) for the mean.
  const program = new ElementwiseProgram(
    'resnet_bn_running_stat',
    [c],
    ['running', 'batch'],
    'setOutputAtIndex(index, running[index] * uniforms.keep + (batch[index] * uniforms.unbias) * uniforms.momentum);',
    'keep : f32, momentum : f32, unbias : f32,',
  );
  const update = (running: TensorInfo, batch: TensorInfo, unbias: number) =>
    run(gpu, program, [running, batch], [float(1 - momentum), float(momentum), float(unbias)]);
  return [update(runningMean!, mean!, 1), update(runningVar!, variance!, count > 1 ? count / (count - 1) : 1)];
};

export const batchNormRunningStatsConfig: KernelConfig = {
  kernelName: BN_RUNNING_STATS_KERNEL,
  backendName: 'webgpu',
  kernelFunc: batchNormRunningStats,
};

export const batchNormTrainingConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_KERNEL,
  backendName: 'webgpu',
  kernelFunc: batchNormTraining,
};

export const batchNormTrainingGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_GRAD_KERNEL,
  backendName: 'webgpu',
  kernelFunc: batchNormTrainingGrad,
};
