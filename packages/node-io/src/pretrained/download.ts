// Published weights into the cache, as torch.hub keeps them: `<cache>/weights/<file name>`, each
// file checked against the SHA-256 prefix its name carries (torchvision's names end in the first 8
// hex digits of the file's hash). Bytes stream into a temporary file in the cache folder while they
// are hashed, and the file is renamed into place only when the hash matches: the cache never holds
// a partial or wrong file, and a cached file whose hash matches is reused without a download.
// `from` takes a file already on disk (offline): it is checked the same way and copied in; the
// file itself is never changed.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PretrainedWeights } from '@resnet/core';
import { defaultCacheDir } from '../cifar10/download.js';
import { FileIOError, cannotCreateIn, systemError } from '../files.js';

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

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    throw systemError('read', path, error);
  }
  return hash.digest('hex');
}

/** Streams `chunks` into a temporary file of `dir`, hashing them; renames it to `target` if the hash fits. */
async function intoCache(
  chunks: AsyncIterable<Uint8Array>,
  target: string,
  weights: Pick<PretrainedWeights, 'fileName' | 'sha256Prefix'>,
  source: string,
  onChunk?: (bytes: number) => void,
): Promise<string> {
  const dir = join(target, '..');
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw systemError('create the cache folder', dir, error);
  }
  const temp = join(dir, `.${weights.fileName}.${process.pid}.${randomBytes(6).toString('hex')}.download`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    throw await cannotCreateIn(target, dir, error);
  }
  try {
    const hash = createHash('sha256');
    for await (const chunk of chunks) {
      hash.update(chunk);
      await handle.writeFile(chunk);
      onChunk?.(chunk.length);
    }
    const sha256 = hash.digest('hex');
    if (!sha256.startsWith(weights.sha256Prefix)) {
      throw new FileIOError(
        `node-io: ${source} is not ${weights.fileName}: its SHA-256 is ${sha256}, which does not start with ${weights.sha256Prefix} (the prefix in the file's name); nothing was kept`,
      );
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    // A rename within one folder is atomic: the cache holds the whole file or none of it.
    await rename(temp, target);
    return sha256;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
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
  const target = pretrainedPath(weights, options.cacheDir);
  const cached = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  if (cached) {
    const sha256 = await sha256File(target);
    if (sha256.startsWith(weights.sha256Prefix)) return { path: target, source: 'cache', sha256 };
  }
  if (options.from !== undefined) {
    const from = options.from;
    const isFile = await stat(from).then(
      (s) => s.isFile(),
      (error: unknown) => {
        throw systemError('read', from, error);
      },
    );
    if (!isFile) throw new FileIOError(`node-io: --from ${from} is not a file`);
    const sha256 = await intoCache(createReadStream(from) as AsyncIterable<Uint8Array>, target, weights, from);
    return { path: target, source: 'file', sha256 };
  }
  const url = options.url ?? weights.url;
  const fetchFn = options.fetch ?? ((u: string) => fetch(u));
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`, { cause: error });
  }
  if (!response.ok || response.body === null)
    throw new FileIOError(`node-io: cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  const header = Number(response.headers.get('content-length'));
  const total = Number.isSafeInteger(header) && header > 0 ? header : undefined;
  let received = 0;
  const body = response.body;
  async function* chunks(): AsyncIterable<Uint8Array> {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } catch (error) {
      throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}`, { cause: error });
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
  const sha256 = await intoCache(chunks(), target, weights, url, (n) => {
    received += n;
    options.onProgress?.(received, total);
  });
  if (total !== undefined && received !== total)
    throw new FileIOError(`node-io: ${url} sent ${received} bytes, ${total} announced: the download was cut short`);
  return { path: target, source: 'download', sha256 };
}
