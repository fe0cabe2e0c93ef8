// One way to put a published file into the cache, for every data set and weights file we fetch
// (CIFAR-10, the MNIST family, torchvision's weights): the bytes stream into a temporary file in
// the cache folder while they are hashed, and the file is renamed into place only when its size and
// hash are the published ones. So the cache never holds a partial or wrong file, and a cached file
// that checks out is reused without a download. A local copy (`from`) is checked the same way and
// copied in; the copy itself is never changed.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FileIOError, cannotCreateIn, systemError } from '../files.js';

/** `$RESNET_CACHE`, else `~/.cache/resnet`. */
export function defaultCacheDir(): string {
  const env = process.env['RESNET_CACHE'];
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'resnet');
}

/** What the published file is: its hash (whole, or the prefix a file name carries) and, when known, its size. */
export interface ExpectedFile {
  readonly algorithm: 'md5' | 'sha256';
  /** The whole digest (hex), or its first digits (torchvision's file names carry 8). */
  readonly digest: string;
  /** Bytes; when known, a longer or shorter download is refused as it happens. */
  readonly size?: number;
  /** What it is, for messages: "the CIFAR-10 archive", "resnet50-11ad3fa6.pth". */
  readonly what: string;
  /**
   * The message for a file whose hash differs; default: "<source> failed its checksum: expected MD5
   * <digest>, got <actual>". `source` is the URL or the local file.
   */
  readonly mismatch?: (source: string, actual: string) => string;
}

export interface VerifiedFetchOptions {
  /** Called as bytes arrive: bytes so far, and the total when known (the expected size, else the server's). */
  readonly onProgress?: (received: number, total: number | undefined) => void;
  /** The fetch to use (default: the global one); tests serve the bytes locally. */
  readonly fetch?: (url: string) => Promise<Response>;
}

export interface VerifiedFile {
  readonly path: string;
  /** Where the bytes came from: the cache as it was, a download, or a local copy. */
  readonly source: 'cache' | 'download' | 'file';
  /** The whole digest (hex) of the file. */
  readonly digest: string;
}

function checkExpected(e: ExpectedFile): void {
  const [min, max] = e.algorithm === 'md5' ? [32, 32] : [8, 64];
  if (!(/^[0-9a-f]+$/.test(e.digest) && e.digest.length >= min && e.digest.length <= max))
    throw new FileIOError(
      `node-io: ${e.algorithm === 'md5' ? 'md5 must be 32' : 'a SHA-256 prefix must be 8 to 64'} hexadecimal digits, got ${JSON.stringify(e.digest)}`,
    );
  if (e.size !== undefined && !(Number.isSafeInteger(e.size) && e.size > 0))
    throw new FileIOError(`node-io: size must be a positive integer, got ${e.size}`);
}

const label = (a: ExpectedFile['algorithm']): string => (a === 'md5' ? 'MD5' : 'SHA-256');

function mismatchMessage(e: ExpectedFile, source: string, actual: string): string {
  return (
    e.mismatch?.(source, actual) ?? `node-io: ${source} failed its checksum: expected ${label(e.algorithm)} ${e.digest}, got ${actual}`
  );
}

/** The digest and size of a file, streamed (the files are up to hundreds of MB). */
export async function hashFile(path: string, algorithm: ExpectedFile['algorithm']): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    throw systemError('read', path, error);
  }
  return { digest: hash.digest('hex'), size };
}

/** `target` if it is a file of the expected size and hash, else undefined. */
export async function cachedFile(target: string, expected: ExpectedFile): Promise<VerifiedFile | undefined> {
  checkExpected(expected);
  const isFile = await stat(target).then(
    (s) => s.isFile() && (expected.size === undefined || s.size === expected.size),
    () => false,
  );
  if (!isFile) return undefined;
  const { digest } = await hashFile(target, expected.algorithm);
  return digest.startsWith(expected.digest) ? { path: target, source: 'cache', digest } : undefined;
}

/** Streams `chunks` into a temporary file beside `target`, checking size and hash; renames it to `target` when both fit. */
async function intoCache(
  chunks: AsyncIterable<Uint8Array>,
  target: string,
  expected: ExpectedFile,
  source: string,
  onChunk?: (received: number) => void,
  announced?: number,
): Promise<{ digest: string }> {
  const dir = dirname(target);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw systemError('create the cache folder', dir, error);
  }
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.download`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    throw await cannotCreateIn(target, dir, error);
  }
  try {
    const hash = createHash(expected.algorithm);
    let received = 0;
    for await (const chunk of chunks) {
      received += chunk.length;
      if (expected.size !== undefined && received > expected.size)
        throw new FileIOError(`node-io: ${source} sent more than the expected ${expected.size} bytes: not ${expected.what}`);
      hash.update(chunk);
      await handle.writeFile(chunk); // appends at the handle's position, looping over partial writes
      onChunk?.(received);
    }
    if (expected.size !== undefined && received !== expected.size)
      throw new FileIOError(`node-io: ${source} sent ${received} bytes, expected ${expected.size}: the download was cut short`);
    if (announced !== undefined && received !== announced)
      throw new FileIOError(`node-io: ${source} sent ${received} bytes, ${announced} announced: the download was cut short`);
    const digest = hash.digest('hex');
    if (!digest.startsWith(expected.digest)) throw new FileIOError(mismatchMessage(expected, source, digest));
    await handle.sync();
    await handle.close();
    handle = undefined;
    // A rename within one folder is atomic; the folder itself is not fsynced: a rename lost in a
    // crash costs a new download, since the cache is checked by its hash.
    await rename(temp, target);
    return { digest };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error instanceof FileIOError ? error : systemError('download into', target, error);
  }
}

/** fetch's network errors say "fetch failed" and put the reason in `cause`. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}

/** Downloads `url` into `target`, checked against `expected` (see the top of this file). */
export async function downloadVerified(
  url: string,
  target: string,
  expected: ExpectedFile,
  options: VerifiedFetchOptions = {},
): Promise<VerifiedFile> {
  checkExpected(expected);
  const fetchFn = options.fetch ?? ((u: string) => fetch(u));
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}${causeOf(error)}`, { cause: error });
  }
  if (!response.ok || response.body === null)
    throw new FileIOError(`node-io: cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  const header = Number(response.headers.get('content-length'));
  const announced = Number.isSafeInteger(header) && header > 0 ? header : undefined;
  const total = expected.size ?? announced;
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
      throw new FileIOError(`node-io: cannot download ${url}: ${(error as Error).message}${causeOf(error)}`, { cause: error });
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
  const { digest } = await intoCache(
    chunks(),
    target,
    expected,
    url,
    (n) => options.onProgress?.(n, total),
    expected.size === undefined ? announced : undefined,
  );
  return { path: target, source: 'download', digest };
}

/** Copies the local file `from` into `target`, checked against `expected`; `from` is only read. */
export async function copyVerified(from: string, target: string, expected: ExpectedFile, flag = '--from'): Promise<VerifiedFile> {
  checkExpected(expected);
  const isFile = await stat(from).then(
    (s) => s.isFile(),
    (error: unknown) => {
      throw systemError('read', from, error);
    },
  );
  if (!isFile) throw new FileIOError(`node-io: ${flag} ${from} is not a file`);
  const { digest } = await intoCache(createReadStream(from) as AsyncIterable<Uint8Array>, target, expected, from);
  return { path: target, source: 'file', digest };
}
