import { formatSummary, resolveSpec, summarize, type ModelOptions } from '@resnet/core';
import type { Output } from '../output.js';

export const SUMMARY_HELP = `resnet summary <model> [--shortcut A|B|C] [--stride-in 1x1|3x3] [--classes N] [--input H] [--channels C] [--json]

Per layer: name, output shape, parameters and multiply-adds; then the totals.
  --shortcut   shortcut option where dimensions increase (default A on CIFAR nets, B on ImageNet nets)
  --stride-in  where a bottleneck's stride sits: 1x1 (paper, default) or 3x3 (torchvision)
  --classes    classes of the final fc (default 1000 / 10)
  --input      square input side (default 224 / 32; 28 for the MNIST family)
  --channels   input channels (default 3; 1 for grayscale images such as Fashion-MNIST)
  --json       print {model, params, macs, buffers, inputShape, spec, layers} as JSON`;

export function summaryCommand(model: string, options: ModelOptions, flags: { json: boolean }, io: Output): number {
  const summary = summarize(resolveSpec(model, options));
  io.out(flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return 0;
}
