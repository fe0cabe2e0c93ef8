/**
 * The bottleneck block of Fig. 5 (right): 1×1 reduce, 3×3, 1×1 restore (×4). ResNet-50/101/152.
 * The stride-2 of conv3_1/conv4_1/conv5_1 sits in the first 1×1 in the paper and in the 3×3 in
 * torchvision ("ResNet v1.5"); `spec.strideIn` picks.
 */
import { BOTTLENECK_EXPANSION, type ResNetSpec } from '../architectures/spec.js';
import { shortcutPlan } from './shortcut.js';
import { convPlan, type BlockPlan } from './types.js';

export function bottleneckPlan(spec: ResNetSpec, name: string, inChannels: number, width: number, stride: number): BlockPlan {
  const outChannels = width * BOTTLENECK_EXPANSION;
  const [reduceStride, spatialStride] = spec.strideIn === '1x1' ? [stride, 1] : [1, stride];
  const convs = [
    convPlan(`${name}.conv1`, inChannels, width, 1, reduceStride, `${name}.bn1`),
    convPlan(`${name}.conv2`, width, width, 3, spatialStride, `${name}.bn2`),
    convPlan(`${name}.conv3`, width, outChannels, 1, 1, `${name}.bn3`),
  ];
  return { name, kind: 'bottleneck', inChannels, outChannels, stride, convs, shortcut: shortcutPlan(spec, name, inChannels, outChannels, stride) };
}
