// Published weights into the cache, as torch.hub keeps them: `<cache>/weights/<file name>`, each
// file checked against the SHA-256 prefix its name carries (torchvision's names end in the first 8
// hex digits of the file's hash), as every download is (download/verified.ts). `from` takes a file
// already on disk (offline): it is checked the same way and copied in; the file itself is never changed.
import { join } from 'node:path';
import type { PretrainedWeights } from '@resnet/core';
import { cachedFile, copyVerified, defaultCacheDir, downloadVerified, type ExpectedFile } from '../download/verified.js';
import { FileIOError } from '../files.js';

export interface FetchPretrainedOptions {
  /** The cache's root. Default: `$RESNET_CACHE`, else `~/.cache/resnet`; the files go in its `weights/`. */
  readonly cacheDir?: string;
  /** Another address for the same file (a mirror). Default: the catalogue's URL. */
  readonly url?: string;
  /** A local copy of the file to check and copy into the cache instead of downloading. */
  readonly from?: string;
  /** Called as bytes arrive: bytes so far, and the total when the server says it. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
  /** The fetch to use (default: the global one). */
  readonly fetch?: (url: string) => Promise<Response>;
}

export interface FetchedWeights {
  readonly path: string;
  /** Where the bytes came from: the cache as it was, a download, or the `from` file. */
  readonly source: 'cache' | 'download' | 'file';
  readonly sha256: string;
}

/** Where the catalogue's file lives in the cache. */
export function pretrainedPath(weights: Pick<PretrainedWeights, 'fileName'>, cacheDir = defaultCacheDir()): string {
  return join(cacheDir, 'weights', weights.fileName);
}

/**
 * Makes sure the weights' file is in the cache and returns its path: the cached file if its hash
 * fits, else the `from` file (checked, copied), else a download (checked, renamed into place).
 */
export async function fetchPretrained(
  weights: Pick<PretrainedWeights, 'fileName' | 'sha256Prefix' | 'url'>,
  options: FetchPretrainedOptions = {},
): Promise<FetchedWeights> {
  if (!/^[0-9a-f]{8,64}$/.test(weights.sha256Prefix))
    throw new FileIOError(`node-io: a SHA-256 prefix must be 8 to 64 hexadecimal digits, got ${JSON.stringify(weights.sha256Prefix)}`);
  const expected: ExpectedFile = {
    algorithm: 'sha256',
    digest: weights.sha256Prefix,
    what: weights.fileName,
    mismatch: (source, actual) =>
      `node-io: ${source} is not ${weights.fileName}: its SHA-256 is ${actual}, which does not start with ${weights.sha256Prefix} (the prefix in the file's name); nothing was kept`,
  };
  const target = pretrainedPath(weights, options.cacheDir);
  const got =
    (await cachedFile(target, expected)) ??
    (options.from !== undefined
      ? await copyVerified(options.from, target, expected)
      : await downloadVerified(options.url ?? weights.url, target, expected, {
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }));
  return { path: got.path, source: got.source, sha256: got.digest };
}
