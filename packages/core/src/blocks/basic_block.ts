/**
 * The building block of Fig. 2 and Fig. 5 (left): two 3×3 convs, each followed by BN (Sec. 3.4),
 * a ReLU between them, then the shortcut added and the second ReLU (Eqn. 1). ResNet-18/34 and every
 * CIFAR net (Sec. 4.2). Its plan (the layers and their names) and its computation, side by side.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ResNetSpec } from '../architectures/spec.js';
import { addRelu } from './add_relu.js';
import type { ConvBnExecutor } from './conv_bn.js';
import { shortcut, shortcutPlan } from './shortcut.js';
import { convPlan, type BlockPlan, type ConvPlan } from './types.js';

export function basicBlockPlan(spec: ResNetSpec, name: string, inChannels: number, width: number, stride: number): BlockPlan {
  const convs = [
    convPlan(`${name}.conv1`, inChannels, width, 3, stride, `${name}.bn1`),
    convPlan(`${name}.conv2`, width, width, 3, 1, `${name}.bn2`),
  ];
  return {
    name,
    kind: 'basic',
    inChannels,
    outChannels: width,
    stride,
    convs,
    shortcut: shortcutPlan(spec, name, inChannels, width, stride),
  };
}

/** y = σ(F(x) + shortcut(x)) with F = BN(conv2(σ(BN(conv1(x))))); a plain net's block is σ(F(x)). */
export function basicBlock(block: BlockPlan, x: tf.Tensor4D, convBn: ConvBnExecutor): tf.Tensor4D {
  const [conv1, conv2] = block.convs as [ConvPlan, ConvPlan];
  const sc = block.shortcut;
  const h = convBn(conv1, x, true); // 3×3 conv → BN → ReLU
  const f = convBn(conv2, h, sc.kind === 'none'); // 3×3 conv → BN; a plain net adds nothing, so its ReLU comes here
  if (sc.kind === 'none') return f;
  return addRelu(f, shortcut(sc, x, convBn)); // F(x) + x (Eqn. 1) or + W_s·x (Eqn. 2), then ReLU
}
