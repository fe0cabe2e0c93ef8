/**
 * The forward pass as pure functions of (plan, weights, input): the backbone (stem and stages of
 * residual blocks, Table 1 / Sec. 4.2) and the head (global average pool, fc). No variables are
 * touched; the model class decides what to do with the batch statistics they report.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BlockKind } from '../architectures/spec.js';
import { basicBlock } from '../blocks/basic_block.js';
import type { BatchStats } from '../blocks/batch_norm.js';
import { bottleneck } from '../blocks/bottleneck.js';
import { convBnExecutor, type ConvBnExecutor, type ConvBnObserver } from '../blocks/conv_bn.js';
import type { BlockPlan } from '../blocks/types.js';
import type { NetworkPlan } from './plan.js';

export interface ForwardOptions {
  readonly training: boolean;
  /** BNs kept in inference mode in training passes: those of frozen stages (model/freeze.ts). */
  readonly frozenBn?: ReadonlySet<string>;
  readonly bnEpsilon: number;
  /** Called with every conv's BN output, in network order (experiments/responses.ts measures Fig. 7 with it). */
  readonly onConvBn?: ConvBnObserver;
}

export interface BackboneResult {
  /** Each stage's output by the paper's name (`conv1`, `conv2_x` …), as a detection backbone uses them. */
  readonly features: Record<string, tf.Tensor4D>;
  /** The last stage's output. */
  readonly last: tf.Tensor4D;
  /** Training mode only: each BN's batch statistics, by BN name. */
  readonly batchStats: Map<string, BatchStats>;
}

export interface ForwardResult extends BackboneResult {
  readonly logits: tf.Tensor2D;
}

const BLOCKS: Record<BlockKind, (block: BlockPlan, x: tf.Tensor4D, convBn: ConvBnExecutor) => tf.Tensor4D> = {
  basic: basicBlock,
  bottleneck,
};

/**
 * The backbone with a given conv+BN executor: the one walk of the plan, which {@link backbone} runs
 * with BN as it is and the folded model (fold_bn.ts) with BN folded into the convs.
 */
export function runBackbone(plan: NetworkPlan, x: tf.Tensor4D, convBn: ConvBnExecutor): Omit<BackboneResult, 'batchStats'> {
  const features: Record<string, tf.Tensor4D> = {};
  // conv1 → BN → ReLU (the ReLU fused with a training-mode BN where the backend can: blocks/batch_norm_training.ts).
  let out = convBn(plan.stem, x, true);
  features['conv1'] = out;
  if (plan.maxPool) out = tf.maxPool(out, plan.maxPool.kernel, plan.maxPool.stride, plan.maxPool.pad);
  for (const stage of plan.stages) {
    for (const block of stage.blocks) out = BLOCKS[block.kind](block, out, convBn);
    features[stage.name] = out;
  }
  return { features, last: out };
}

export function backbone(plan: NetworkPlan, weight: (name: string) => tf.Tensor, x: tf.Tensor4D, options: ForwardOptions): BackboneResult {
  const batchStats = new Map<string, BatchStats>();
  const convBn = convBnExecutor({
    weight,
    training: options.training,
    ...(options.frozenBn ? { frozenBn: options.frozenBn } : {}),
    bnEpsilon: options.bnEpsilon,
    batchStats,
    onConvBn: options.onConvBn,
  });
  return { ...runBackbone(plan, x, convBn), batchStats };
}

/** Global average pool, then the fully-connected classifier. */
export function head(plan: NetworkPlan, weight: (name: string) => tf.Tensor, x: tf.Tensor4D): tf.Tensor2D {
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  return tf.add(tf.matMul(pooled, weight(`${plan.head.name}.weight`) as tf.Tensor2D), weight(`${plan.head.name}.bias`)) as tf.Tensor2D;
}

export function forward(plan: NetworkPlan, weight: (name: string) => tf.Tensor, x: tf.Tensor4D, options: ForwardOptions): ForwardResult {
  const result = backbone(plan, weight, x, options);
  return { ...result, logits: head(plan, weight, result.last) };
}
