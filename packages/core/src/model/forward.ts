/**
 * The forward pass as a pure function of (plan, weights, input): stem, stages of residual blocks,
 * global average pool and fc (Table 1, Sec. 4.2). No variables are touched; the model class decides
 * what to do with the batch statistics it returns.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchStats } from '../blocks/batch_norm.js';
import { convBn, type ForwardContext } from '../blocks/conv_bn.js';
import { residualBlock } from '../blocks/residual_block.js';
import type { NetworkPlan } from './plan.js';

export interface ForwardResult {
  readonly logits: tf.Tensor2D;
  /** Each stage's output by the paper's name (`conv1`, `conv2_x` …), as a detection backbone uses them. */
  readonly features: Record<string, tf.Tensor4D>;
  /** Training mode only: each BN's batch statistics, by BN name. */
  readonly batchStats: Map<string, BatchStats>;
}

export interface ForwardOptions {
  readonly training: boolean;
  readonly bnEpsilon: number;
  /** Stop after the last stage (no pooling or fc): for feature extraction. */
  readonly featuresOnly?: boolean;
}

export function forward(
  plan: NetworkPlan,
  weight: (name: string) => tf.Tensor,
  x: tf.Tensor4D,
  options: ForwardOptions,
): ForwardResult {
  const ctx: ForwardContext = { weight, training: options.training, bnEpsilon: options.bnEpsilon, batchStats: new Map() };
  const features: Record<string, tf.Tensor4D> = {};

  let out = tf.relu(convBn(ctx, plan.stem, x));
  features['conv1'] = out;
  if (plan.maxPool) out = tf.maxPool(out, plan.maxPool.kernel, plan.maxPool.stride, plan.maxPool.pad);

  for (const stage of plan.stages) {
    for (const block of stage.blocks) out = residualBlock(ctx, block, out);
    features[stage.name] = out;
  }
  if (options.featuresOnly) return { logits: tf.zeros([x.shape[0], 0]), features, batchStats: ctx.batchStats };

  const pooled = tf.mean(out, [1, 2]) as tf.Tensor2D; // global average pool
  const logits = tf.add(tf.matMul(pooled, weight(`${plan.head.name}.weight`) as tf.Tensor2D), weight(`${plan.head.name}.bias`)) as tf.Tensor2D;
  return { logits, features, batchStats: ctx.batchStats };
}
