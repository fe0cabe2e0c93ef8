/**
 * The bottleneck block of Fig. 5 (right): 1×1 reduce, 3×3, 1×1 restore (×4), each conv followed by
 * BN (Sec. 3.4) and all but the last by a ReLU, then the shortcut added and the last ReLU (Eqn. 1).
 * ResNet-50/101/152. The stride-2 of conv3_1/conv4_1/conv5_1 sits in the first 1×1 in the paper and
 * in the 3×3 in torchvision ("ResNet v1.5"); `spec.strideIn` picks. Its plan and its computation,
 * side by side.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BOTTLENECK_EXPANSION, type ResNetSpec } from '../architectures/spec.js';
import { addRelu } from './add_relu.js';
import type { ConvBnExecutor } from './conv_bn.js';
import { shortcut, shortcutPlan } from './shortcut.js';
import { convPlan, type BlockPlan, type ConvPlan } from './types.js';

export function bottleneckPlan(spec: ResNetSpec, name: string, inChannels: number, width: number, stride: number): BlockPlan {
  const outChannels = width * BOTTLENECK_EXPANSION;
  const [reduceStride, spatialStride] = spec.strideIn === '1x1' ? [stride, 1] : [1, stride];
  const convs = [
    convPlan(`${name}.conv1`, inChannels, width, 1, reduceStride, `${name}.bn1`),
    convPlan(`${name}.conv2`, width, width, 3, spatialStride, `${name}.bn2`),
    convPlan(`${name}.conv3`, width, outChannels, 1, 1, `${name}.bn3`),
  ];
  return {
    name,
    kind: 'bottleneck',
    inChannels,
    outChannels,
    stride,
    convs,
    shortcut: shortcutPlan(spec, name, inChannels, outChannels, stride),
  };
}

/** y = σ(F(x) + shortcut(x)) with F = BN(conv3(σ(BN(conv2(σ(BN(conv1(x)))))))); a plain net's block is σ(F(x)). */
export function bottleneck(block: BlockPlan, x: tf.Tensor4D, convBn: ConvBnExecutor): tf.Tensor4D {
  const [conv1, conv2, conv3] = block.convs as [ConvPlan, ConvPlan, ConvPlan];
  const sc = block.shortcut;
  const reduced = convBn(conv1, x, true); // 1×1 conv → BN → ReLU: reduce to `width` channels
  const h = convBn(conv2, reduced, true); // 3×3 conv → BN → ReLU
  const f = convBn(conv3, h, sc.kind === 'none'); // 1×1 conv → BN: restore (×4); a plain net's ReLU comes here
  if (sc.kind === 'none') return f;
  return addRelu(f, shortcut(sc, x, convBn)); // F(x) + x (Eqn. 1) or + W_s·x (Eqn. 2), then ReLU
}
