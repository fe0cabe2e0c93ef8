/**
 * A model from published or PyTorch weights for `resnet predict --weights`: a catalogue name
 * (downloaded into the cache, or found there), or a `.pth`/`.pt` file (torch.save). A file named
 * like a catalogue entry (resnet50-11ad3fa6.pth) gets that entry's layout and preprocessing;
 * another needs --model and, for torchvision's bottleneck nets, --stride-in 3x3 (the shapes cannot
 * tell the layouts apart).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  IMAGENET_CLASSES,
  PRETRAINED,
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
import { defaultCacheDir, fetchPretrained, readBytes } from '@resnet/node-io';
import { UsageError } from './errors.js';
import type { Output } from './output.js';

export interface PretrainedModel {
  readonly model: ResNet;
  readonly classNames: readonly string[];
  readonly preprocessing: Preprocessing;
  /** For the log: which weights, and the layout built for them. */
  readonly description: string;
}

/** torchvision's evaluation transform for ImageNet nets without a catalogue entry (V1's). */
const IMAGENET_V1 = PRETRAINED.find((w) => w.name === 'resnet50.imagenet1k_v1')!.preprocessing;

function layoutOf(model: ResNet): string {
  return model.spec.block === 'bottleneck' ? `stride in the ${model.spec.strideIn === '3x3' ? '3×3' : 'first 1×1'}` : 'basic blocks';
}

export async function loadPretrainedModel(
  weights: string,
  flags: { model?: string; strideIn?: StrideIn },
  io: Output,
): Promise<PretrainedModel> {
  let entry: PretrainedWeights | undefined;
  let file: string;
  if (existsSync(weights)) {
    file = weights;
    entry = PRETRAINED.find((w) => w.fileName === path.basename(weights));
  } else {
    try {
      entry = findPretrained(weights);
    } catch (e) {
      throw new UsageError(
        `--weights ${weights} is neither a file nor a published weights name: ${(e as Error).message.replace(/^resnet: /, '')}`,
      );
    }
    let shown = -1;
    const got = await fetchPretrained(entry, {
      cacheDir: defaultCacheDir(),
      onProgress: (received, total) => {
        const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 10e6);
        if (step !== shown)
          io.err(`downloading ${entry!.fileName}: ${total ? `${(shown = step) * 10}%` : `${((shown = step) * 10).toFixed(0)} MB`}`);
      },
    });
    file = got.path;
  }
  const name = entry?.model ?? flags.model;
  if (!name)
    throw new UsageError(`--model is required with ${weights} (a file the catalogue does not name): e.g. --model resnet50 --stride-in 3x3`);
  if (entry && flags.model && flags.model !== entry.model)
    throw new UsageError(`--model ${flags.model} does not fit ${entry.name}, which are ${entry.model} weights`);
  const state = stateDictFromPth(await readBytes(file), file);
  const options = entry
    ? pretrainedOptions(entry)
    : { ...optionsFromStateDict(name, state), ...(flags.strideIn ? { strideIn: flags.strideIn } : {}) };
  if (entry && flags.strideIn && flags.strideIn !== entry.strideIn)
    throw new UsageError(
      `--stride-in ${flags.strideIn} does not fit ${entry.name}: they need the stride in the ${entry.strideIn === '3x3' ? '3×3' : '1×1'}`,
    );
  const model = createModel(name, options);
  try {
    importStateDict(model, state);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const classNames =
    model.spec.numClasses === 1000 ? IMAGENET_CLASSES : Array.from({ length: model.spec.numClasses }, (_, i) => `class ${i}`);
  const what = entry ? `${entry.name} (${entry.torchvision}, top-1 ${entry.top1}%)` : file;
  return {
    model,
    classNames,
    preprocessing: entry?.preprocessing ?? IMAGENET_V1,
    description: `weights: ${what}; ${model.spec.name}, ${layoutOf(model)}`,
  };
}
