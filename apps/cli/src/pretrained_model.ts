/**
 * `resnet predict --weights`: node-io's loadPretrained (a published name, fetched into the cache,
 * or a `.pth`/`.pt` file), with the CLI's usage errors for a name that is neither and for a file
 * that needs --model, and progress lines while it downloads.
 */
import { resolvePretrained, loadPretrained, defaultCacheDir } from '@resnet/node-io';
import type { Preprocessing, ResNet, StrideIn } from '@resnet/core';
import { downloadProgress } from './download_progress.js';
import { UsageError } from './errors.js';
import type { Output } from './output.js';

export interface PretrainedModel {
  readonly model: ResNet;
  readonly classNames: readonly string[];
  readonly preprocessing: Preprocessing;
  /** For the log: which weights, and the layout built for them. */
  readonly description: string;
}

function layoutOf(model: ResNet): string {
  return model.spec.block === 'bottleneck' ? `stride in the ${model.spec.strideIn === '3x3' ? '3×3' : 'first 1×1'}` : 'basic blocks';
}

export async function loadPretrainedModel(
  weights: string,
  flags: { model?: string; strideIn?: StrideIn },
  io: Output,
): Promise<PretrainedModel> {
  let resolved: ReturnType<typeof resolvePretrained>;
  try {
    resolved = resolvePretrained(weights);
  } catch (e) {
    throw new UsageError(
      `--weights ${weights} is neither a file nor a published weights name: ${(e as Error).message.replace(/^resnet: /, '')}`,
    );
  }
  if (!resolved.entry && !flags.model)
    throw new UsageError(`--model is required with ${weights} (a file the catalogue does not name): e.g. --model resnet50 --stride-in 3x3`);
  const loaded = await loadPretrained(weights, {
    cacheDir: defaultCacheDir(),
    ...flags,
    onProgress: downloadProgress(io, resolved.entry?.fileName ?? weights),
  });
  const what = loaded.entry
    ? `${loaded.entry.name} (${loaded.entry.torchvision}, top-1 ${loaded.entry.top1}%) from ${loaded.file}`
    : loaded.file;
  return {
    model: loaded.model,
    classNames: loaded.classNames,
    preprocessing: loaded.preprocessing,
    description: `weights: ${what}; ${loaded.model.spec.name}, ${layoutOf(loaded.model)}`,
  };
}
