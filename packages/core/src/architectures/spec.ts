/**
 * A network of the paper as data. Every ResNet and plain net in the paper is one of these;
 * `shortcut: 'none'` is the only difference between a ResNet and its plain twin (Sec. 3.3).
 */

/** Two-layer 3×3 block (ResNet-18/34, all CIFAR nets) or 1×1–3×3–1×1 bottleneck (ResNet-50/101/152), Fig. 5. */
export type BlockKind = 'basic' | 'bottleneck';

/**
 * Shortcut option when dimensions increase (Sec. 3.3, Table 3):
 * - `A`: identity, subsampled by 2 across sizes, extra channels zero-padded; parameter-free.
 * - `B`: 1×1 projection (+BN) only where dimensions change; identity elsewhere.
 * - `C`: every shortcut is a projection.
 * - `none`: no shortcuts: the paper's "plain" network.
 */
export type ShortcutOption = 'A' | 'B' | 'C' | 'none';

/** Where a bottleneck's stride-2 sits: the paper's first 1×1 conv, or torchvision's ("v1.5") 3×3 conv. */
export type StrideIn = '1x1' | '3x3';

/**
 * `imagenet`: 7×7/2 stem conv + 3×3/2 max pool, four stages (Table 1), names as torchvision.
 * `cifar`: 3×3 stem conv, no pool, three stages (Sec. 4.2), names as the common CIFAR reproduction.
 */
export type Family = 'imagenet' | 'cifar';

export interface ResNetSpec {
  /** Registry name, e.g. `resnet50`, `plain20`. */
  readonly name: string;
  readonly family: Family;
  readonly block: BlockKind;
  /** Blocks per stage, e.g. [3, 4, 6, 3] for ResNet-50. */
  readonly stages: readonly number[];
  /** Output channels of the first conv (64 on ImageNet, 16 on CIFAR). */
  readonly stemWidth: number;
  /** Per stage: a basic block's channels, or a bottleneck's inner width (its output is 4×). */
  readonly widths: readonly number[];
  readonly shortcut: ShortcutOption;
  /** Bottleneck nets only. */
  readonly strideIn: StrideIn;
  readonly numClasses: number;
  /** Square input side the network is built for (224 on ImageNet, 32 on CIFAR). */
  readonly inputSize: number;
  readonly inputChannels: number;
}

/** A bottleneck's output has 4× its inner width (Fig. 5 right: 64 → 256). */
export const BOTTLENECK_EXPANSION = 4;

/** A ResNet, not its plain twin: it has shortcuts (Sec. 3.3). */
export function isResidual(spec: ResNetSpec): spec is ResNetSpec & { readonly shortcut: Exclude<ShortcutOption, 'none'> } {
  return spec.shortcut !== 'none';
}

/** Weighted layers along the deepest path: the depth in a model's name (ResNet-"50"). */
export function depthOf(spec: Pick<ResNetSpec, 'block' | 'stages'>): number {
  const perBlock = spec.block === 'basic' ? 2 : 3;
  return spec.stages.reduce((sum, n) => sum + n * perBlock, 0) + 2;
}
