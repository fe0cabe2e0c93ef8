/**
 * `resnet weights`: the catalogue of published weights (core's pretrained/catalogue.ts), and
 * `resnet weights get <name>`, which puts a file into the cache checked against the SHA-256 prefix
 * in its name (node-io's fetchPretrained), from the internet or from a copy on disk (--from).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PRETRAINED, findPretrained, type PretrainedWeights } from '@resnet/core';
import { defaultCacheDir, fetchPretrained, pretrainedPath } from '@resnet/node-io';
import { UsageError } from '../errors.js';
import { downloadProgress } from '../download_progress.js';
import { table, type Output } from '../output.js';

export const WEIGHTS_HELP = `resnet weights [--json]
resnet weights get <name> [--from FILE] [--url URL]

Lists torchvision's published ImageNet weights for ResNet-18/34/50/101/152: name, top-1/top-5
accuracy (torchvision's figures), parameters, the layout they need and whether the file is in the
cache ($RESNET_CACHE/weights, else ~/.cache/resnet/weights). A name is ours (resnet50.imagenet1k_v2),
torchvision's (ResNet50_Weights.IMAGENET1K_V2), the file's (resnet50-11ad3fa6.pth) or a model's
alone (its default weights, as torchvision's DEFAULT).

get puts the file into the cache and prints its path. The file is checked against the SHA-256 prefix
its name carries, as torch.hub checks it; a file that does not match is refused and nothing is kept.
A file already cached and intact is reused.
  --from FILE   take this copy (downloaded elsewhere) instead of the internet; it is checked, copied
                into the cache and never changed
  --url URL     download from this address instead (a mirror of the same file)
  --json        (list) the catalogue as JSON`;

function layout(w: PretrainedWeights): string {
  return w.strideIn === '3x3' ? "stride in the 3×3 (torchvision's layout)" : 'basic blocks';
}

export async function weightsCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean', default: false }, from: { type: 'string' }, url: { type: 'string' } },
  });
  const cacheDir = defaultCacheDir();
  if (positionals.length === 0) {
    if (values.from !== undefined || values.url !== undefined) throw new UsageError('--from and --url go with resnet weights get <name>');
    const rows = PRETRAINED.map((w) => ({ ...w, cached: existsSync(pretrainedPath(w, cacheDir)) }));
    if (values.json) {
      io.out(JSON.stringify(rows, null, 2));
      return 0;
    }
    io.out(
      table(
        ['name', 'model', 'top-1 %', 'top-5 %', 'params', 'layout', 'file', 'cached'],
        rows.map((w) => [
          `${w.name}${w.isDefault ? ' (default)' : ''}`,
          w.model,
          w.top1.toFixed(3),
          w.top5.toFixed(3),
          w.params.toLocaleString('en-US'),
          layout(w),
          w.fileName,
          w.cached ? 'yes' : 'no',
        ]),
        [false, false, true, true, true, false, false, false],
      ),
    );
    io.out(`cache: ${cacheDir}/weights; resnet weights get <name> downloads one`);
    return 0;
  }
  if (positionals[0] !== 'get') throw new UsageError(`resnet weights takes no argument or "get <name>", got "${positionals.join(' ')}"`);
  if (positionals.length !== 2) throw new UsageError('resnet weights get takes one name, e.g. resnet weights get resnet50');
  if (values.json) throw new UsageError('--json goes with the list (resnet weights --json)');
  const weights = findPretrained(positionals[1]!);
  const got = await fetchPretrained(weights, {
    cacheDir,
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.url !== undefined ? { url: values.url } : {}),
    onProgress: downloadProgress(io, weights.fileName),
  });
  const how =
    got.source === 'cache'
      ? 'already in the cache'
      : got.source === 'file'
        ? `copied from ${values.from}`
        : `downloaded from ${values.url ?? weights.url}`;
  io.err(
    `${weights.name} (${weights.torchvision}): ${how}; SHA-256 ${got.sha256} starts with ${weights.sha256Prefix}; layout: ${layout(weights)}`,
  );
  io.out(got.path);
  return 0;
}
