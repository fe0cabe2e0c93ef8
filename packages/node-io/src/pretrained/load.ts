// A ready model from published or PyTorch weights, in one call, as torchvision's
// `resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)`: a catalogue name (fetched into the cache, or
// found there, checked) or a `.pth`/`.pt` file. A file named like a catalogue entry
// (resnet50-11ad3fa6.pth) gets that entry's model, layout and preprocessing; another needs `model`,
// and `strideIn: '3x3'` for torchvision's bottleneck nets, whose tensors fit either layout.
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
  pretrainedOptions,
  stateDictFromPth,
  type Preprocessing,
  type PretrainedWeights,
  type ResNet,
  type StrideIn,
} from '@resnet/core';
import { readBytes } from '../files.js';
import { fetchPretrained, type FetchPretrainedOptions } from './download.js';

export interface LoadPretrainedOptions extends Pick<FetchPretrainedOptions, 'cacheDir' | 'onProgress' | 'fetch'> {
  /** The network, for a file the catalogue does not name (else the entry's). */
  readonly model?: string;
  /** The layout, for a file the catalogue does not name: '3x3' for torchvision's bottleneck nets. */
  readonly strideIn?: StrideIn;
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

export async function loadPretrained(weights: string, options: LoadPretrainedOptions = {}): Promise<LoadedPretrained> {
  const resolved = resolvePretrained(weights);
  const entry = resolved.entry;
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
  const file =
    resolved.file ??
    (
      await fetchPretrained(entry!, {
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    ).path;
  const state = stateDictFromPth(await readBytes(file), file);
  const modelOptions = entry
    ? pretrainedOptions(entry)
    : { ...optionsFromStateDict(name, state), ...(options.strideIn ? { strideIn: options.strideIn } : {}) };
  const model = createModel(name, modelOptions);
  try {
    importStateDict(model, state);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const classNames =
    model.spec.numClasses === 1000 ? IMAGENET_CLASSES : Array.from({ length: model.spec.numClasses }, (_, i) => `class ${i}`);
  return { model, entry, classNames, preprocessing: entry?.preprocessing ?? IMAGENET_V1, file };
}
