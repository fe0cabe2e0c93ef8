/** The building block of Fig. 5 (left): two 3×3 convs. ResNet-18/34 and every CIFAR net. */
import type { ResNetSpec } from '../architectures/spec.js';
import { shortcutPlan } from './shortcut.js';
import { convPlan, type BlockPlan } from './types.js';

export function basicBlockPlan(spec: ResNetSpec, name: string, inChannels: number, width: number, stride: number): BlockPlan {
  const convs = [
    convPlan(`${name}.conv1`, inChannels, width, 3, stride, `${name}.bn1`),
    convPlan(`${name}.conv2`, width, width, 3, 1, `${name}.bn2`),
  ];
  return { name, kind: 'basic', inChannels, outChannels: width, stride, convs, shortcut: shortcutPlan(spec, name, inChannels, width, stride) };
}
