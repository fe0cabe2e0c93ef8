import { formatCount, listModels } from '@resnet/core';
import { table, type Output } from '../output.js';

export const MODELS_HELP = `resnet models [--json]

Lists every network of the paper: ImageNet nets (Table 1) and their plain twins, CIFAR-10 nets
(Sec. 4.2; any depth 6n+2 also works, e.g. resnet8), with depth, parameters and multiply-adds at the
default input size.`;

export function modelsCommand(flags: { json: boolean }, io: Output): number {
  const models = listModels();
  if (flags.json) {
    io.out(JSON.stringify(models, null, 2));
    return 0;
  }
  const rows = models.map((m) => [
    m.name,
    m.family,
    String(m.depth),
    m.residual ? 'residual' : 'plain',
    m.params.toLocaleString('en-US'),
    formatCount(m.macs),
    `${m.inputSize}×${m.inputSize}`,
  ]);
  io.out(
    // Every column has a header; the parameter count is given once, in full.
    table(['model', 'family', 'depth', 'kind', 'params', 'mult-adds', 'input'], rows, [false, false, true, false, true, true, true]),
  );
  return 0;
}
