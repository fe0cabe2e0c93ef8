/**
 * Every network of the paper by name: the ImageNet nets of Table 1 and their plain twins, and the
 * CIFAR-10 nets of Sec. 4.2 (any depth 6n+2). `resolveSpec('resnet50', { numClasses: 10 })`.
 */
import { oneOf, positiveInteger } from '../checks.js';
import { ResNetError } from '../errors.js';
import type { BlockKind, Family, ResNetSpec, ShortcutOption, StrideIn } from './spec.js';

export interface ModelOptions {
  /** Classes of the final fc (1000 on ImageNet, 10 on CIFAR-10). */
  numClasses?: number;
  /** Shortcut option when dimensions increase; A on CIFAR, B on ImageNet (the paper's defaults). Residual nets only. */
  shortcut?: 'A' | 'B' | 'C';
  /** Where a bottleneck's stride sits: `1x1` (paper, default) or `3x3` (torchvision). Bottleneck nets only. */
  strideIn?: StrideIn;
  /** Square input side (224 on ImageNet, 32 on CIFAR); any size ≥ 1 works, e.g. tiny sizes for tests. */
  inputSize?: number;
  /** Input channels (3). */
  inputChannels?: number;
  /** Channels of conv1 (64 on ImageNet, 16 on CIFAR): narrower nets for tests and small devices. */
  stemWidth?: number;
  /** Per stage: a basic block's channels or a bottleneck's inner width ([64, 128, 256, 512] / [16, 32, 64]). */
  widths?: number[];
}

export const MODEL_OPTION_NAMES: ReadonlyArray<keyof ModelOptions> = [
  'numClasses',
  'shortcut',
  'strideIn',
  'inputSize',
  'inputChannels',
  'stemWidth',
  'widths',
];

interface Base {
  readonly family: Family;
  readonly block: BlockKind;
  readonly stages: readonly number[];
}

/** Table 1. */
const IMAGENET: Readonly<Record<number, Base>> = {
  18: { family: 'imagenet', block: 'basic', stages: [2, 2, 2, 2] },
  34: { family: 'imagenet', block: 'basic', stages: [3, 4, 6, 3] },
  50: { family: 'imagenet', block: 'bottleneck', stages: [3, 4, 6, 3] },
  101: { family: 'imagenet', block: 'bottleneck', stages: [3, 4, 23, 3] },
  152: { family: 'imagenet', block: 'bottleneck', stages: [3, 8, 36, 3] },
};

/** The CIFAR-10 depths of Table 6. Any other 6n+2 also resolves (`resnet8`, `cifar-resnet50`). */
const CIFAR_DEPTHS = [20, 32, 44, 56, 110, 1202] as const;

/** The names `listModels` shows: every net the paper trains or tabulates. */
export const MODEL_NAMES: readonly string[] = [
  ...Object.keys(IMAGENET).map((d) => `resnet${d}`),
  ...Object.keys(IMAGENET).map((d) => `plain${d}`),
  ...CIFAR_DEPTHS.map((d) => `resnet${d}`),
  ...CIFAR_DEPTHS.map((d) => `plain${d}`),
];

const STRIDE_IN: readonly StrideIn[] = ['1x1', '3x3'];

const NAME_PATTERN = /^(cifar-)?(resnet|plain)(\d+)$/;

function unknownModel(name: string): ResNetError {
  return new ResNetError(
    `resnet: unknown model "${name}"; known models: ${MODEL_NAMES.join(', ')}; ` +
      `also any CIFAR depth 6n+2 as resnet<depth>, plain<depth> or cifar-resnet<depth> (e.g. resnet8, cifar-resnet50)`,
  );
}

function base(name: string): { base: Base; residual: boolean } {
  const match = NAME_PATTERN.exec(name);
  if (!match) throw unknownModel(name);
  const [, cifarPrefix, kind, digits] = match;
  const depth = Number(digits);
  const residual = kind === 'resnet';
  // ImageNet names win where a CIFAR depth would collide (50 and 152 are also 6n+2); `cifar-` forces CIFAR.
  const imagenet = cifarPrefix ? undefined : IMAGENET[depth];
  if (imagenet) return { base: imagenet, residual };
  if (depth >= 8 && (depth - 2) % 6 === 0) {
    const n = (depth - 2) / 6;
    return { base: { family: 'cifar', block: 'basic', stages: [n, n, n] }, residual };
  }
  if (cifarPrefix) throw new ResNetError(`resnet: CIFAR depth must be 6n+2 with n ≥ 1 (8, 14, 20, …), got ${depth} in "${name}"`);
  throw unknownModel(name);
}

/** The spec of a named model with options applied, after checking every option. */
export function resolveSpec(name: string, options: ModelOptions = {}): ResNetSpec {
  const { base: b, residual } = base(name);
  for (const key of Object.keys(options)) {
    if (!MODEL_OPTION_NAMES.includes(key as keyof ModelOptions)) {
      throw new ResNetError(`resnet: unknown option "${key}" for model "${name}"; options are ${MODEL_OPTION_NAMES.join(', ')}`);
    }
  }
  const imagenet = b.family === 'imagenet';
  const defaults = imagenet
    ? { numClasses: 1000, inputSize: 224, stemWidth: 64, widths: [64, 128, 256, 512], shortcut: 'B' as const }
    : { numClasses: 10, inputSize: 32, stemWidth: 16, widths: [16, 32, 64], shortcut: 'A' as const };

  let shortcut: ShortcutOption = residual ? defaults.shortcut : 'none';
  if (options.shortcut !== undefined) {
    if (!residual) throw new ResNetError(`resnet: option shortcut does not apply to plain net "${name}" (it has no shortcuts)`);
    shortcut = oneOf('resnet', 'shortcut', options.shortcut, ['A', 'B', 'C'] as const);
  }
  let strideIn: StrideIn = '1x1';
  if (options.strideIn !== undefined) {
    if (b.block !== 'bottleneck') {
      throw new ResNetError(`resnet: option strideIn applies to bottleneck nets (resnet50/101/152) only, not "${name}" (basic blocks)`);
    }
    strideIn = oneOf('resnet', 'strideIn', options.strideIn, STRIDE_IN);
  }
  const widths = options.widths ?? defaults.widths;

  return checkSpec({
    name,
    family: b.family,
    block: b.block,
    stages: b.stages,
    stemWidth: options.stemWidth ?? defaults.stemWidth,
    widths: Array.isArray(widths) ? [...widths] : widths,
    shortcut,
    strideIn,
    numClasses: options.numClasses ?? defaults.numClasses,
    inputSize: options.inputSize ?? defaults.inputSize,
    inputChannels: options.inputChannels ?? 3,
  });
}

/** Checks a spec built by hand (custom depths or widths); `resolveSpec` output always passes. */
export function checkSpec(spec: ResNetSpec): ResNetSpec {
  const { name } = spec;
  const model = `model "${name}"`;
  oneOf('resnet', 'family', spec.family, ['imagenet', 'cifar'], model);
  oneOf('resnet', 'block', spec.block, ['basic', 'bottleneck'], model);
  oneOf('resnet', 'shortcut', spec.shortcut, ['A', 'B', 'C', 'none'], model);
  oneOf('resnet', 'strideIn', spec.strideIn, STRIDE_IN, model);
  if (!Array.isArray(spec.stages) || spec.stages.length === 0)
    throw new ResNetError(`resnet: stages must list blocks per stage, got ${JSON.stringify(spec.stages)} (model "${name}")`);
  spec.stages.forEach((n, i) => positiveInteger('resnet', `stages[${i}]`, n, model));
  if (!Array.isArray(spec.widths) || spec.widths.length !== spec.stages.length) {
    throw new ResNetError(`resnet: widths must list ${spec.stages.length} stage widths for "${name}", got ${JSON.stringify(spec.widths)}`);
  }
  spec.widths.forEach((w, i) => positiveInteger('resnet', `widths[${i}]`, w, model));
  for (const key of ['stemWidth', 'numClasses', 'inputSize', 'inputChannels'] as const) positiveInteger('resnet', key, spec[key], model);
  return spec;
}
