// Small file helpers: whole-file reads and crash-safe (atomic) writes.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Every error this package throws: the message starts with "node-io:" and names the path. */
export class FileIOError extends Error {
  /** The Node.js error code (ENOENT, EACCES, …) when the cause was a system error. */
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FileIOError';
    this.code = options?.code;
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EEXIST: 'already exists',
};

/** @internal Wraps a Node.js system error into a FileIOError that names the path. */
export function systemError(action: string, path: string, cause: unknown): FileIOError {
  if (cause instanceof FileIOError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = code !== undefined ? `${REASONS[code] ?? (cause as Error).message} (${code})` : String(cause);
  return new FileIOError(`node-io: cannot ${action} ${path}: ${reason}`, { cause, code });
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * @internal Why `path` cannot be written when creating a file in its folder `dir` failed: the folder
 * is not writable (EACCES, EPERM, EROFS; or a file system such as /proc that answers ENOENT for a
 * folder that is there), the folder does not exist, or another reason.
 */
export async function cannotCreateIn(path: string, dir: string, cause: unknown): Promise<FileIOError> {
  if (cause instanceof FileIOError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const at = `node-io: cannot write ${path}: the folder ${dir}`;
  if (code !== undefined && NOT_WRITABLE.has(code))
    return new FileIOError(`${at} is not writable: ${REASONS[code]} (${code})`, { cause, code });
  if (code === 'ENOENT') {
    const isFolder = await stat(dir).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (isFolder) {
      return new FileIOError(
        `${at} is not writable: creating a file there failed with ENOENT ("no such file or directory") although the folder exists`,
        { cause, code },
      );
    }
    return new FileIOError(`${at} does not exist (ENOENT)`, { cause, code });
  }
  return systemError('write', path, cause);
}

/** Reads a whole file. */
export async function readBytes(path: string): Promise<Uint8Array> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw systemError('read', path, error);
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Writes a whole file so that readers see either the old content or the new, never a mix: the
 * bytes go to a temporary file in the same directory, which is fsynced and then renamed over
 * `path`. On failure the temporary file is removed and `path` is left untouched. A folder that
 * refuses new files is reported as not writable (EACCES, EPERM, EROFS), one that is missing as such.
 */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    throw await cannotCreateIn(path, dir, error);
  }
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw systemError('write', path, error);
  }
  await syncDirectory(dir);
}

/** Makes the rename itself durable where the platform allows fsync on directories (not Windows). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data is already safely in place.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
