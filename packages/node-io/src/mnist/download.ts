// The MNIST family's four files from their published location into `<cache>/<kind>/`, each checked
// against its published MD5 as every download is (download/verified.ts). Files already cached
// whose MD5 matches are kept.
import { join } from 'node:path';
import { MNIST_FILES, MNIST_SETS, type MnistFileRole, type MnistKind } from '@resnet/core';
import { cachedFile, defaultCacheDir, downloadVerified } from '../download/verified.js';
import { FileIOError } from '../files.js';

export interface DownloadMnistOptions {
  /** The cache's root. Default: `$RESNET_CACHE`, else `~/.cache/resnet`; the files go in its `<kind>/`. */
  readonly cacheDir?: string;
  /** Another address holding the same four files (a mirror). Default: the set's own, MNIST_SETS[kind].url. */
  readonly url?: string;
  /** The MD5 of each file (hex). Default: the published ones, MNIST_SETS[kind].md5; a mirror must serve the same files. */
  readonly md5?: Readonly<Record<MnistFileRole, string>>;
  /** Called as bytes arrive: the file, bytes so far, and its total when the server says it. */
  readonly onProgress?: (file: string, received: number, total: number | undefined) => void;
  /** The fetch to use (default: the global one); tests serve the files locally. */
  readonly fetch?: (url: string) => Promise<Response>;
}

/** Makes sure the four files are in `<cache>/<kind>/` and returns that folder (for loadMnist). */
export async function downloadMnist(kind: MnistKind, options: DownloadMnistOptions = {}): Promise<string> {
  const info = MNIST_SETS[kind];
  if (!info) throw new FileIOError(`node-io: unknown set "${kind}"; expected ${Object.keys(MNIST_SETS).join(' or ')}`);
  const folder = join(options.cacheDir ?? defaultCacheDir(), kind);
  const base = (options.url ?? info.url).replace(/\/?$/, '/');
  for (const [role, name] of Object.entries(MNIST_FILES) as [MnistFileRole, string][]) {
    const expected = {
      algorithm: 'md5',
      digest: (options.md5?.[role] ?? info.md5[role]).toLowerCase(),
      what: `${info.title}'s ${name}`,
    } as const;
    const target = join(folder, name);
    if (await cachedFile(target, expected)) continue;
    await downloadVerified(`${base}${name}`, target, expected, {
      ...(options.onProgress
        ? { onProgress: (received: number, total: number | undefined) => options.onProgress!(name, received, total) }
        : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }
  return folder;
}
