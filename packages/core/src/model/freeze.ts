/**
 * Freezing the first stages of a network for transfer learning: which weights and BNs a freeze "up
 * to a stage" covers. The stages are the paper's (Table 1): `conv1` (the stem: conv1 and bn1), then
 * `conv2_x` … `conv5_x` (`conv4_x` on the CIFAR nets). A frozen stage's convs and BN γ/β are not
 * trained, and its BNs run in inference mode, so their running statistics stay as loaded (as
 * torchvision's fine-tuning tutorial does with `requires_grad = False` and `bn.eval()`).
 * The head (`fc` / `linear`) is never frozen.
 */
import { ResNetError } from '../errors.js';
import type { NetworkPlan } from './plan.js';
import type { ConvPlan } from '../blocks/types.js';

/** Nothing frozen. */
export const FREEZE_NONE = 'none';
/** Every stage: only the head trains (a linear probe). */
export const FREEZE_BACKBONE = 'backbone';

export interface FrozenParts {
  /** The stage frozen up to (inclusive), by the paper's name, or `none`. */
  readonly upTo: string;
  /** Weight names (convs, BN γ/β and running statistics) of the frozen stages. */
  readonly weights: ReadonlySet<string>;
  /** BN names of the frozen stages (run in inference mode in training passes). */
  readonly bns: ReadonlySet<string>;
}

/** The stage names a freeze may name, in network order: `conv1`, `conv2_x`, … */
export function stageNames(plan: NetworkPlan): string[] {
  return ['conv1', ...plan.stages.map((s) => s.name)];
}

/** The convs of each stage by the paper's name (the stem is `conv1`). */
function convsByStage(plan: NetworkPlan): Map<string, ConvPlan[]> {
  const byStage = new Map<string, ConvPlan[]>([['conv1', [plan.stem]]]);
  for (const stage of plan.stages) {
    const convs: ConvPlan[] = [];
    for (const block of stage.blocks) {
      convs.push(...block.convs);
      if (block.shortcut.kind === 'projection') convs.push(block.shortcut.conv);
    }
    byStage.set(stage.name, convs);
  }
  return byStage;
}

/**
 * What `upTo` freezes: `none`, a stage name (it and every stage before it), or `backbone` (every
 * stage). Anything else is refused, naming the stages this network has.
 */
export function frozenParts(plan: NetworkPlan, upTo: string, model = 'this network'): FrozenParts {
  const names = stageNames(plan);
  const last = upTo === FREEZE_BACKBONE ? names[names.length - 1]! : upTo;
  if (upTo === FREEZE_NONE) return { upTo, weights: new Set(), bns: new Set() };
  const end = names.indexOf(last);
  if (end < 0) {
    throw new ResNetError(
      `resnet: cannot freeze up to "${upTo}" in ${model}: expected ${FREEZE_NONE}, ${FREEZE_BACKBONE} or a stage of it (${names.join(', ')})`,
    );
  }
  const byStage = convsByStage(plan);
  const weights = new Set<string>();
  const bns = new Set<string>();
  for (const stage of names.slice(0, end + 1)) {
    for (const conv of byStage.get(stage)!) {
      weights.add(`${conv.name}.weight`);
      for (const suffix of ['weight', 'bias', 'running_mean', 'running_var']) weights.add(`${conv.bn}.${suffix}`);
      bns.add(conv.bn);
    }
  }
  return { upTo: last, weights, bns };
}

/** Whether `name` is a weight of the head (the classifier that transfer learning replaces). */
export function isHeadWeight(plan: NetworkPlan, name: string): boolean {
  return name.startsWith(`${plan.head.name}.`);
}
