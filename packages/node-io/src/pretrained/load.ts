// A ready model from published or PyTorch weights, in one call, as torchvision's
// `resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)`: a catalogue name (fetched into the cache, or
// found there, checked), a `.pth`/`.pt` file or a `.safetensors` state dict (PyTorch layout, as
// `resnet train` writes). A file named like a catalogue entry (resnet50-11ad3fa6.pth) gets that
// entry's model, layout and preprocessing; another needs `model`, and `strideIn: '3x3'` for
// torchvision's bottleneck nets, whose tensors fit either layout. With `numClasses` the backbone
// is loaded under a new head for that many classes, as timm's
// `create_model('resnet50', pretrained=True, num_classes=5)` (transfer learning).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import {
  IMAGENET_CLASSES,
  PRETRAINED,
  ResNetError,
  createModel,
  findPretrained,
  importStateDict,
  optionsFromStateDict,
  parseSafetensors,
  pretrainedOptions,
  stateDictFromSafetensors,
  stateDictFromPth,
  type ModelOptions,
  type Preprocessing,
  type PretrainedWeights,
  type ResNet,
  type StrideIn,
  type TorchTensor,
} from '@resnet/core';
import { readBytes } from '../files.js';
import { fetchPretrained, type FetchPretrainedOptions } from './download.js';

export interface LoadPretrainedOptions extends Pick<FetchPretrainedOptions, 'cacheDir' | 'onProgress' | 'fetch'> {
  /** The network, for a file the catalogue does not name (else the entry's). */
  readonly model?: string;
  /** The layout, for a file the catalogue does not name: '3x3' for torchvision's bottleneck nets. */
  readonly strideIn?: StrideIn;
  /** A new head for this many classes (transfer learning); the weights' own head is not loaded. */
  readonly numClasses?: number;
  /** With `numClasses`: the new head's class names (default `class 0` …). */
  readonly classNames?: readonly string[];
  /** With `numClasses`: seeds the new head's initial weights. */
  readonly seed?: number;
}

/** A state dict read from published or PyTorch weights, before any model is built for it. */
export interface PretrainedStateDict {
  readonly state: Map<string, TorchTensor>;
  /** The catalogue entry, when the weights are published ones. */
  readonly entry: PretrainedWeights | undefined;
  /** The entry's, else torchvision's V1 evaluation transform (resize 256, crop 224, ImageNet mean and std). */
  readonly preprocessing: Preprocessing;
  /** Where the weights were read from. */
  readonly file: string;
}

export interface LoadedPretrained {
  readonly model: ResNet;
  /** The catalogue entry, when the weights are published ones. */
  readonly entry: PretrainedWeights | undefined;
  /** ImageNet's names for 1000 classes, else `class 0` … */
  readonly classNames: readonly string[];
  /** The entry's, else torchvision's V1 evaluation transform (resize 256, crop 224, ImageNet mean and std). */
  readonly preprocessing: Preprocessing;
  /** Where the weights were read from. */
  readonly file: string;
}

const IMAGENET_V1 = PRETRAINED.find((w) => w.name === 'resnet50.imagenet1k_v1')!.preprocessing;

/** The catalogue entry a name or file stands for, or undefined for a file the catalogue does not name. Throws for neither. */
export function resolvePretrained(weights: string): { entry: PretrainedWeights | undefined; file: string | undefined } {
  if (existsSync(weights)) return { entry: PRETRAINED.find((w) => w.fileName === basename(weights)), file: weights };
  return { entry: findPretrained(weights), file: undefined };
}

/**
 * The state dict of a catalogue name (downloaded into the cache if it is not there, checked) or of a
 * `.pth`/`.pt`/`.safetensors` file, with the catalogue entry it is and its preprocessing.
 */
export async function readPretrained(
  weights: string,
  options: Pick<FetchPretrainedOptions, 'cacheDir' | 'onProgress' | 'fetch'> = {},
): Promise<PretrainedStateDict> {
  const resolved = resolvePretrained(weights);
  const entry = resolved.entry;
  const file =
    resolved.file ??
    (
      await fetchPretrained(entry!, {
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    ).path;
  const bytes = await readBytes(file);
  const state = file.endsWith('.safetensors') ? stateDictFromSafetensors(parseSafetensors(bytes)) : stateDictFromPth(bytes, file);
  return { state, entry, preprocessing: entry?.preprocessing ?? IMAGENET_V1, file };
}

/** The model options that fit a state dict: the catalogue entry's, else read from its shapes (with `strideIn` as given). */
export function modelOptionsFor(read: PretrainedStateDict, name: string, strideIn?: StrideIn): ModelOptions {
  return read.entry ? pretrainedOptions(read.entry) : { ...optionsFromStateDict(name, read.state), ...(strideIn ? { strideIn } : {}) };
}

/** The network a name or file is for: the entry's, or `model`; refuses a contradiction or a file without `model`. */
export function pretrainedModelName(
  weights: string,
  entry: PretrainedWeights | undefined,
  options: { model?: string; strideIn?: StrideIn },
): string {
  const name = entry?.model ?? options.model;
  if (!name)
    throw new ResNetError(
      `resnet: ${weights} is not a file the catalogue names: say which model it is (model: 'resnet50', and strideIn: '3x3' for torchvision's bottleneck nets)`,
    );
  if (entry && options.model && options.model !== entry.model)
    throw new ResNetError(`resnet: model ${options.model} does not fit ${entry.name}, which are ${entry.model} weights`);
  // Basic blocks have no 1×1 to put a stride in: only the bottleneck entries have a layout to contradict.
  if (entry && options.strideIn && entry.strideIn === '3x3' && options.strideIn !== '3x3')
    throw new ResNetError(
      `resnet: strideIn ${options.strideIn} does not fit ${entry.name}: they need the stride in the 3×3 (torchvision's layout)`,
    );
  return name;
}

export async function loadPretrained(weights: string, options: LoadPretrainedOptions = {}): Promise<LoadedPretrained> {
  const name = pretrainedModelName(weights, resolvePretrained(weights).entry, options);
  const read = await readPretrained(weights, options);
  const { entry, state, file } = read;
  const newHead = options.numClasses !== undefined;
  if (options.classNames && options.classNames.length !== (options.numClasses ?? -1))
    throw new ResNetError(
      `resnet: ${options.classNames.length} class names given for a head of ${options.numClasses ?? "the weights'"} classes`,
    );
  const model = createModel(name, {
    ...modelOptionsFor(read, name, options.strideIn),
    ...(newHead ? { numClasses: options.numClasses, ...(options.seed !== undefined ? { seed: options.seed } : {}) } : {}),
  });
  try {
    importStateDict(model, state, newHead ? { head: 'keep' } : {});
  } catch (e) {
    model.dispose();
    throw e;
  }
  const classNames =
    options.classNames ??
    (!newHead && model.spec.numClasses === 1000 ? IMAGENET_CLASSES : Array.from({ length: model.spec.numClasses }, (_, i) => `class ${i}`));
  return { model, entry, classNames, preprocessing: read.preprocessing, file };
}
