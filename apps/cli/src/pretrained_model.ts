/**
 * `resnet predict --weights`: node-io's loadPretrained (a published name, fetched into the cache,
 * or a `.pth`/`.pt` file), with the CLI's usage errors for a name that is neither and for a file
 * that needs --model, and progress lines while it downloads.
 */
import { resolvePretrained, loadPretrained, defaultCacheDir } from '@resnet/node-io';
import type { Preprocessing, ResNet, StrideIn } from '@resnet/core';
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
  let shown = -1;
  const loaded = await loadPretrained(weights, {
    cacheDir: defaultCacheDir(),
    ...flags,
    onProgress: (received, total) => {
      // A line per 10% (or per 10 MB without a length).
      const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 10e6);
      if (step === shown) return;
      shown = step;
      io.err(`downloading ${resolved.entry?.fileName ?? weights}: ${total ? `${step * 10}%` : `${step * 10} MB`}`);
    },
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
