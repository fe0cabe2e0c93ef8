/** A convolution followed by its batch norm: the unit every layer of the paper is built from. */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, type BatchStats } from './batch_norm.js';
import type { ConvPlan } from './types.js';

/** What a forward pass needs besides the input: weights by name, the BN mode, and where batch stats go. */
export interface ForwardContext {
  readonly weight: (name: string) => tf.Tensor;
  readonly training: boolean;
  readonly bnEpsilon: number;
  /** Filled in training mode: each BN's batch statistics, by BN name. */
  readonly batchStats: Map<string, BatchStats>;
  /** Optional observer of each conv's BN output, before any ReLU or addition (the layer responses of Fig. 7). */
  readonly onConvBn?: ConvBnObserver;
}

/** Sees a conv+BN unit's output; it must not dispose it (the forward pass goes on with it). */
export type ConvBnObserver = (plan: ConvPlan, y: tf.Tensor4D) => void;

export function conv(ctx: ForwardContext, plan: ConvPlan, x: tf.Tensor4D): tf.Tensor4D {
  const w = ctx.weight(`${plan.name}.weight`) as tf.Tensor4D;
  return tf.conv2d(x, w, plan.stride, plan.pad === 0 ? 'valid' : plan.pad);
}

/** The BN `name` of `x`, then ReLU if `relu` (fused with the BN in training mode where the backend can). */
export function bn(ctx: ForwardContext, name: string, x: tf.Tensor4D, relu = false): tf.Tensor4D {
  const { y, stats } = batchNorm(
    x,
    {
      gamma: ctx.weight(`${name}.weight`),
      beta: ctx.weight(`${name}.bias`),
      runningMean: ctx.weight(`${name}.running_mean`),
      runningVar: ctx.weight(`${name}.running_var`),
    },
    ctx.training,
    ctx.bnEpsilon,
    relu,
  );
  if (stats) ctx.batchStats.set(name, stats);
  return y;
}

/** conv → BN, then ReLU if `relu` (the stem and every conv of a residual function but the last). */
export function convBn(ctx: ForwardContext, plan: ConvPlan, x: tf.Tensor4D, relu = false): tf.Tensor4D {
  // An observer must see the BN output before the ReLU, so with one the ReLU runs on its own.
  const fuse = relu && !ctx.onConvBn;
  const y = bn(ctx, plan.bn, conv(ctx, plan, x), fuse);
  ctx.onConvBn?.(plan, y);
  return relu && !fuse ? tf.relu(y) : y;
}
