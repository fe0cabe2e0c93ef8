// Downloading the CIFAR-10 archive, only when asked: the bytes stream into a temporary file in the
// cache folder while their MD5 is computed, and the file is renamed into place only once its size
// and checksum match the published ones. So the cache never holds a partial or wrong archive, and
// a cached archive whose checksum matches is reused instead of being fetched again.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_MD5, CIFAR10_SIZE, CIFAR10_URL } from '@resnet/core';
import { FileIOError, cannotCreateIn, systemError } from '../files.js';
import { CIFAR10_ARCHIVE } from './load.js';

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

/** `$RESNET_CACHE`, else `~/.cache/resnet`. */
export function defaultCacheDir(): string {
  const env = process.env['RESNET_CACHE'];
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'resnet');
}

/** The MD5 (hex) and size of a file, streamed (the archive is 170 MB). */
async function md5File(path: string): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    throw systemError('read', path, error);
  }
  return { md5: hash.digest('hex'), size };
}

/**
 * Makes sure the CIFAR-10 archive (binary version) is in the cache folder and returns its path:
 * reuses a cached copy whose MD5 and size match, else downloads it. Pass the path to loadCifar10.
 */
export async function downloadCifar10(options: DownloadCifar10Options = {}): Promise<string> {
  const { cacheDir = defaultCacheDir(), url = CIFAR10_URL, size = CIFAR10_SIZE, onProgress } = options;
  const md5 = (options.md5 ?? CIFAR10_MD5).toLowerCase();
  const fetchFn = options.fetch ?? ((u: string) => fetch(u));
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new FileIOError(`node-io: md5 must be 32 hexadecimal digits, got ${JSON.stringify(options.md5)}`);
  if (!(Number.isSafeInteger(size) && size > 0)) throw new FileIOError(`node-io: size must be a positive integer, got ${size}`);

  const target = join(cacheDir, CIFAR10_ARCHIVE);
  const cached = await stat(target).then(
    (s) => s.isFile() && s.size === size,
    () => false,
  );
  if (cached && (await md5File(target)).md5 === md5) return target;

  try {
    await mkdir(cacheDir, { recursive: true });
  } catch (error) {
    throw systemError('create the cache folder', cacheDir, error);
  }
  const temp = join(cacheDir, `.${CIFAR10_ARCHIVE}.${process.pid}.${randomBytes(6).toString('hex')}.download`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    throw await cannotCreateIn(target, cacheDir, error);
  }
  try {
    const hash = createHash('md5');
    let received = 0;
    let response: Response;
    try {
      response = await fetchFn(url);
    } catch (error) {
      throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}${causeOf(error)}`, { cause: error });
    }
    if (!response.ok || response.body === null) {
      throw new FileIOError(`node-io: cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        if (received > size) throw new FileIOError(`node-io: ${url} sent more than the expected ${size} bytes: not the CIFAR-10 archive`);
        hash.update(value);
        await handle.writeFile(value); // appends at the handle's position, looping over partial writes
        onProgress?.(received, size);
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      if (error instanceof FileIOError) throw error;
      throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}${causeOf(error)}`, { cause: error });
    }
    if (received !== size) throw new FileIOError(`node-io: ${url} sent ${received} bytes, expected ${size}: the download was cut short`);
    const actual = hash.digest('hex');
    if (actual !== md5) throw new FileIOError(`node-io: ${url} failed its checksum: expected MD5 ${md5}, got ${actual}`);
    await handle.sync();
    await handle.close();
    handle = undefined;
    // A rename within one folder is atomic; the folder itself is not fsynced: a rename lost in a
    // crash costs a new download, since the cache is checked by its checksum.
    await rename(temp, target);
    return target;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw systemError('download into', target, error);
  }
}

/** fetch's network errors say "fetch failed" and put the reason in `cause`. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}
