import type { BlockKind } from '../architectures/spec.js';

export interface ConvPlan {
  /** Variable name prefix, e.g. `layer2.0.conv1` (its weight is `layer2.0.conv1.weight`). */
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  /** Symmetric zero padding, as PyTorch's `padding=` (tfjs 'same' pads asymmetrically at stride 2). */
  readonly pad: number;
  /** The batch norm right after this conv (Sec. 3.4: BN right after each convolution, before activation). */
  readonly bn: string;
}

export type ShortcutPlan =
  /** Plain nets: no shortcut at all. */
  | { readonly kind: 'none' }
  | { readonly kind: 'identity' }
  /** Option A: subsample by `stride`, zero-pad channels (`padBefore` + x + `padAfter`); no parameters. */
  | { readonly kind: 'zero-pad'; readonly name: string; readonly stride: number; readonly padBefore: number; readonly padAfter: number }
  /** Options B and C: 1×1 conv (with the block's stride) + BN, the W_s of Eqn. 2. */
  | { readonly kind: 'projection'; readonly conv: ConvPlan };

export interface BlockPlan {
  /** e.g. `layer1.0` */
  readonly name: string;
  readonly kind: BlockKind;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  /** The residual function F's convs, in order; a ReLU follows every one but the last. */
  readonly convs: readonly ConvPlan[];
  readonly shortcut: ShortcutPlan;
}

export function convPlan(name: string, inChannels: number, outChannels: number, kernel: number, stride: number, bn: string): ConvPlan {
  return { name, inChannels, outChannels, kernel, stride, pad: (kernel - 1) / 2, bn };
}
