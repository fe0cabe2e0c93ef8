/**
 * The published ImageNet weights of torchvision's ResNets, as torchvision's weights enums describe
 * them (`ResNet50_Weights.IMAGENET1K_V2` …): the file's URL, the SHA-256 prefix its name carries
 * (torch.hub checks every download against it; so does `resnet weights get`), the accuracy
 * torchvision publishes, and the preprocessing the weights were trained for. The figures are
 * torchvision's, copied from Debian's python3-torchvision 0.14 (`w.url`, `w.meta['_metrics']`,
 * `w.transforms()`).
 *
 * torchvision's bottleneck nets (ResNet-50/101/152) put the stride of a downsampling block in its
 * 3×3 convolution ("ResNet v1.5"); the paper (and this library's default) puts it in the first
 * 1×1. The tensors have the same shapes either way, so weights of one layout load into the other
 * without complaint and give wrong outputs: each entry says its layout (`strideIn`), and
 * `pretrainedOptions` builds that layout.
 */
import { ResNetError } from '../errors.js';
import type { StrideIn } from '../architectures/spec.js';
import type { ModelOptions } from '../architectures/registry.js';

/** How an image becomes the network's input: resize the shorter side, centre-crop, normalise per channel. */
export interface Preprocessing {
  /** The shorter side is resized to this many pixels (bilinear). */
  readonly resize: number;
  /** Then a centre crop of crop × crop. */
  readonly crop: number;
  readonly interpolation: 'bilinear';
  /** Per RGB channel, on values in [0, 1]: (x − mean) / std. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface PretrainedWeights {
  /** The catalogue name: `<model>.<torchvision enum member, lower case>`, e.g. `resnet50.imagenet1k_v2`. */
  readonly name: string;
  readonly model: 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101' | 'resnet152';
  /** torchvision's name for them, e.g. `ResNet50_Weights.IMAGENET1K_V2`. */
  readonly torchvision: string;
  readonly url: string;
  /** The file name at the end of the URL, e.g. `resnet50-11ad3fa6.pth`. */
  readonly fileName: string;
  /** The first hex digits of the file's SHA-256, as its name carries them after the last "-". */
  readonly sha256Prefix: string;
  /** Where the stride of a downsampling bottleneck block sits in these weights. */
  readonly strideIn: StrideIn;
  readonly numClasses: 1000;
  readonly params: number;
  /** Top-1 and top-5 accuracy on ImageNet-1k's validation set, %, as torchvision publishes them. */
  readonly top1: number;
  readonly top5: number;
  readonly preprocessing: Preprocessing;
  /** Whether `<model>` alone names these weights (torchvision's `DEFAULT`). */
  readonly isDefault: boolean;
}

const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

function entry(
  model: PretrainedWeights['model'],
  version: 'V1' | 'V2',
  file: string,
  params: number,
  top1: number,
  top5: number,
  isDefault: boolean,
): PretrainedWeights {
  const enumName = `ResNet${model.slice('resnet'.length)}_Weights`;
  return {
    name: `${model}.imagenet1k_${version.toLowerCase()}`,
    model,
    torchvision: `${enumName}.IMAGENET1K_${version}`,
    url: `https://download.pytorch.org/models/${file}`,
    fileName: file,
    sha256Prefix: file.slice(file.lastIndexOf('-') + 1, file.lastIndexOf('.')),
    strideIn: model === 'resnet18' || model === 'resnet34' ? '1x1' : '3x3',
    numClasses: 1000,
    params,
    top1,
    top5,
    // V2 weights were trained with torchvision's newer recipe and are evaluated after a resize to 232.
    preprocessing: { resize: version === 'V2' ? 232 : 256, crop: 224, interpolation: 'bilinear', mean: MEAN, std: STD },
    isDefault,
  };
}

/** Every ResNet weight file torchvision publishes for ImageNet-1k. */
export const PRETRAINED: readonly PretrainedWeights[] = Object.freeze([
  entry('resnet18', 'V1', 'resnet18-f37072fd.pth', 11689512, 69.758, 89.078, true),
  entry('resnet34', 'V1', 'resnet34-b627a593.pth', 21797672, 73.314, 91.42, true),
  entry('resnet50', 'V1', 'resnet50-0676ba61.pth', 25557032, 76.13, 92.862, false),
  entry('resnet50', 'V2', 'resnet50-11ad3fa6.pth', 25557032, 80.858, 95.434, true),
  entry('resnet101', 'V1', 'resnet101-63fe2227.pth', 44549160, 77.374, 93.546, false),
  entry('resnet101', 'V2', 'resnet101-cd907fc2.pth', 44549160, 81.886, 95.78, true),
  entry('resnet152', 'V1', 'resnet152-394f9c45.pth', 60192808, 78.312, 94.046, false),
  entry('resnet152', 'V2', 'resnet152-f82ba261.pth', 60192808, 82.284, 96.002, true),
]);

/**
 * The catalogue entry for `name`: a full name (`resnet50.imagenet1k_v2`), torchvision's
 * (`ResNet50_Weights.IMAGENET1K_V2`), a file name (`resnet50-11ad3fa6.pth`) or a model name alone
 * (its default weights, as torchvision's `DEFAULT`).
 */
export function findPretrained(name: string): PretrainedWeights {
  const wanted = name.trim();
  const lower = wanted.toLowerCase();
  const found =
    PRETRAINED.find((w) => w.name === lower || w.torchvision.toLowerCase() === lower || w.fileName === wanted) ??
    PRETRAINED.find((w) => w.model === lower && w.isDefault);
  if (!found) {
    throw new ResNetError(
      `resnet: no published weights are called "${name}"; the catalogue has ${PRETRAINED.map((w) => w.name).join(', ')}`,
    );
  }
  return found;
}

/** The model options that match the weights' layout (and their 1000 classes). */
export function pretrainedOptions(weights: PretrainedWeights): ModelOptions {
  return {
    numClasses: weights.numClasses,
    ...(weights.model === 'resnet18' || weights.model === 'resnet34' ? {} : { strideIn: weights.strideIn }),
  };
}
