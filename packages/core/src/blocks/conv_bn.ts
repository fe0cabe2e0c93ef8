/** A convolution followed by its batch norm: the unit every layer of the paper is built from. */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, type BatchStats } from './batch_norm.js';
import type { ConvPlan } from './types.js';

/**
 * Runs one conv+BN unit of the plan, then a ReLU if `relu`. The blocks and the backbone are written
 * against it, so the one walk of the plan serves BN as it is ({@link convBnExecutor}: training and
 * inference) and BN folded into the conv (model/fold_bn.ts).
 */
export type ConvBnExecutor = (plan: ConvPlan, x: tf.Tensor4D, relu: boolean) => tf.Tensor4D;

/** What a forward pass needs besides the input: weights by name, the BN mode, and where batch stats go. */
export interface ForwardContext {
  readonly weight: (name: string) => tf.Tensor;
  readonly training: boolean;
  /**
   * BNs of frozen stages (transfer learning, model/freeze.ts): in inference mode even in a training
   * pass, so they normalise with their running statistics and report no batch statistics to update.
   */
  readonly frozenBn?: ReadonlySet<string>;
  readonly bnEpsilon: number;
  /** Filled in training mode: each BN's batch statistics, by BN name. */
  readonly batchStats: Map<string, BatchStats>;
  /** Optional observer of each conv's BN output, before any ReLU or addition (the layer responses of Fig. 7). */
  readonly onConvBn?: ConvBnObserver;
}

/** Sees a conv+BN unit's output; it must not dispose it (the forward pass goes on with it). */
export type ConvBnObserver = (plan: ConvPlan, y: tf.Tensor4D) => void;

function conv(ctx: ForwardContext, plan: ConvPlan, x: tf.Tensor4D): tf.Tensor4D {
  const w = ctx.weight(`${plan.name}.weight`) as tf.Tensor4D;
  return tf.conv2d(x, w, plan.stride, plan.pad === 0 ? 'valid' : plan.pad);
}

/** The BN `name` of `x`, then ReLU if `relu` (fused with the BN in training mode where the backend can). */
function bn(ctx: ForwardContext, name: string, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  const { y, stats } = batchNorm(
    x,
    {
      gamma: ctx.weight(`${name}.weight`),
      beta: ctx.weight(`${name}.bias`),
      runningMean: ctx.weight(`${name}.running_mean`),
      runningVar: ctx.weight(`${name}.running_var`),
    },
    ctx.training && !ctx.frozenBn?.has(name),
    ctx.bnEpsilon,
    relu,
  );
  if (stats) ctx.batchStats.set(name, stats);
  return y;
}

/** conv → BN (batch statistics in training mode, running ones otherwise), then ReLU if asked. */
export function convBnExecutor(ctx: ForwardContext): ConvBnExecutor {
  return (plan, x, relu) => {
    // An observer must see the BN output before the ReLU, so with one the ReLU runs on its own.
    const fuse = relu && !ctx.onConvBn;
    const y = bn(ctx, plan.bn, conv(ctx, plan, x), fuse);
    ctx.onConvBn?.(plan, y);
    return relu && !fuse ? tf.relu(y) : y;
  };
}
