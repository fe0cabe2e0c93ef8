/**
 * A spec unrolled into named layers: every conv, BN, shortcut and the classifier, named as the
 * reference implementations name them (torchvision for ImageNet nets, the common CIFAR reproduction
 * for CIFAR nets). Building variables, the forward pass and the summary all walk this one plan.
 */
import type { ResNetSpec } from '../architectures/spec.js';
import { basicBlockPlan } from '../blocks/basic_block.js';
import { bottleneckPlan } from '../blocks/bottleneck.js';
import { convPlan, type BlockPlan, type ConvPlan } from '../blocks/types.js';

export interface StagePlan {
  /** The paper's name for the stage: `conv2_x` … `conv5_x` (Table 1). */
  readonly name: string;
  /** The reference implementations' module name: `layer1` … `layer4`. */
  readonly module: string;
  readonly blocks: readonly BlockPlan[];
}

export interface PoolPlan {
  readonly name: string;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

export interface NetworkPlan {
  /** conv1 and its BN (`bn1`). */
  readonly stem: ConvPlan;
  /** 3×3/2 max pool after conv1 (ImageNet nets only, Table 1). */
  readonly maxPool: PoolPlan | null;
  readonly stages: readonly StagePlan[];
  /** Global average pool, then this fully-connected layer (`fc`, or `linear` on CIFAR). */
  readonly head: { readonly name: string; readonly inFeatures: number; readonly outFeatures: number };
}

export function planNetwork(spec: ResNetSpec): NetworkPlan {
  const imagenet = spec.family === 'imagenet';
  const stem = imagenet
    ? convPlan('conv1', spec.inputChannels, spec.stemWidth, 7, 2, 'bn1')
    : convPlan('conv1', spec.inputChannels, spec.stemWidth, 3, 1, 'bn1');
  const maxPool = imagenet ? { name: 'maxpool', kernel: 3, stride: 2, pad: 1 } : null;
  const makeBlock = spec.block === 'basic' ? basicBlockPlan : bottleneckPlan;
  let channels = spec.stemWidth;
  const stages = spec.stages.map((count, s): StagePlan => {
    const module = `layer${s + 1}`;
    const blocks: BlockPlan[] = [];
    for (let b = 0; b < count; b++) {
      // The first block of every stage but the first halves the map (conv3_1, conv4_1, conv5_1).
      const stride = b === 0 && s > 0 ? 2 : 1;
      const block = makeBlock(spec, `${module}.${b}`, channels, spec.widths[s]!, stride);
      channels = block.outChannels;
      blocks.push(block);
    }
    return { name: `conv${s + 2}_x`, module, blocks };
  });
  const head = { name: imagenet ? 'fc' : 'linear', inFeatures: channels, outFeatures: spec.numClasses };
  return { stem, maxPool, stages, head };
}

/** Every conv of the plan in order: the stem, then each block's residual path and projection. */
export function allConvs(plan: NetworkPlan): ConvPlan[] {
  const convs: ConvPlan[] = [plan.stem];
  for (const stage of plan.stages) {
    for (const block of stage.blocks) {
      convs.push(...block.convs);
      if (block.shortcut.kind === 'projection') convs.push(block.shortcut.conv);
    }
  }
  return convs;
}

/** Output side of a conv or pool with symmetric padding (floor mode, as PyTorch and tfjs). */
export function outSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** What a weight is for: decides its initial value, whether SGD trains it, and its PyTorch layout. */
export type WeightRole = 'conv' | 'bn_weight' | 'bn_bias' | 'running_mean' | 'running_var' | 'fc_weight' | 'fc_bias';

export interface WeightInfo {
  /** tfjs layout: convs HWIO [k, k, in, out], fc [in, out]. */
  readonly shape: readonly number[];
  readonly role: WeightRole;
  /** Running statistics are state, not parameters: SGD does not train them and counts omit them. */
  readonly trainable: boolean;
  /** k²·in channels (convs) or in features (fc). */
  readonly fanIn: number;
  /** k²·out channels (convs) or out features (fc). */
  readonly fanOut: number;
  /** BN γ of a block's last conv (zero-init option). */
  readonly lastInBlock: boolean;
}

/** Every weight of the network, by name, in the plan's order (conv, its BN, …, fc). */
export function planWeights(plan: NetworkPlan): Map<string, WeightInfo> {
  const lastBNs = new Set<string>();
  for (const stage of plan.stages) for (const block of stage.blocks) lastBNs.add(block.convs[block.convs.length - 1]!.bn);
  const weights = new Map<string, WeightInfo>();
  for (const conv of allConvs(plan)) {
    const k2 = conv.kernel * conv.kernel;
    const c = conv.outChannels;
    const common = { fanIn: k2 * conv.inChannels, fanOut: k2 * c, lastInBlock: false };
    weights.set(`${conv.name}.weight`, { ...common, shape: [conv.kernel, conv.kernel, conv.inChannels, c], role: 'conv', trainable: true });
    const bnCommon = { ...common, shape: [c], lastInBlock: lastBNs.has(conv.bn) };
    weights.set(`${conv.bn}.weight`, { ...bnCommon, role: 'bn_weight', trainable: true });
    weights.set(`${conv.bn}.bias`, { ...bnCommon, role: 'bn_bias', trainable: true });
    weights.set(`${conv.bn}.running_mean`, { ...bnCommon, role: 'running_mean', trainable: false });
    weights.set(`${conv.bn}.running_var`, { ...bnCommon, role: 'running_var', trainable: false });
  }
  const { name, inFeatures, outFeatures } = plan.head;
  const fc = { fanIn: inFeatures, fanOut: outFeatures, lastInBlock: false, trainable: true };
  weights.set(`${name}.weight`, { ...fc, shape: [inFeatures, outFeatures], role: 'fc_weight' });
  weights.set(`${name}.bias`, { ...fc, shape: [outFeatures], role: 'fc_bias' });
  return weights;
}
