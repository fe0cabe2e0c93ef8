// Downloading the CIFAR-10 archive, only when asked, checked against its published size and MD5
// as every download is (download/verified.ts).
import { join } from 'node:path';
import { CIFAR10_MD5, CIFAR10_SIZE, CIFAR10_URL } from '@resnet/core';
import { cachedFile, defaultCacheDir, downloadVerified } from '../download/verified.js';
import { CIFAR10_ARCHIVE } from './load.js';

export { defaultCacheDir };

export interface DownloadCifar10Options {
  /** Where the archive is kept. Default: `$RESNET_CACHE`, else `~/.cache/resnet`. */
  readonly cacheDir?: string;
  /** Default: the official address, CIFAR10_URL. A mirror must serve the same file. */
  readonly url?: string;
  /** The expected MD5 (hex). Default: the published CIFAR10_MD5. */
  readonly md5?: string;
  /** The expected size in bytes. Default: CIFAR10_SIZE. */
  readonly size?: number;
  /** Called as bytes arrive: bytes so far, and the expected total. */
  readonly onProgress?: (received: number, total: number) => void;
  /** The fetch to use (default: the global one); tests serve the bytes locally. */
  readonly fetch?: (url: string) => Promise<Response>;
}

/**
 * Makes sure the CIFAR-10 archive (binary version) is in the cache folder and returns its path:
 * reuses a cached copy whose MD5 and size match, else downloads it (download/verified.ts). Pass
 * the path to loadCifar10.
 */
export async function downloadCifar10(options: DownloadCifar10Options = {}): Promise<string> {
  const { cacheDir = defaultCacheDir(), url = CIFAR10_URL, size = CIFAR10_SIZE, onProgress } = options;
  const expected = { algorithm: 'md5', digest: (options.md5 ?? CIFAR10_MD5).toLowerCase(), size, what: 'the CIFAR-10 archive' } as const;
  const target = join(cacheDir, CIFAR10_ARCHIVE);
  const cached = await cachedFile(target, expected);
  if (cached) return cached.path;
  const got = await downloadVerified(url, target, expected, {
    ...(onProgress ? { onProgress: (received: number) => onProgress(received, size) } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return got.path;
}
