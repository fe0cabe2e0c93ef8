/**
 * A small reader for tar archives (POSIX ustar, GNU and pax), enough to open the CIFAR-10
 * distribution from bytes in a browser as well as in Node. It returns the regular files as views
 * into the archive (no copies); directories, links and devices are skipped. Long names come from
 * GNU `L` entries, pax `path` records or the ustar prefix field. Every header's checksum is
 * verified, so a file that is not a tar, or a corrupt or truncated one, fails with a clear error
 * rather than yielding garbage.
 */
import { ResNetError } from '../../errors.js';

/** A regular file in a tar archive. */
export interface TarEntry {
  /** The path inside the archive, e.g. `cifar-10-batches-bin/data_batch_1.bin`. */
  readonly name: string;
  /** The file's content: a view into the archive's bytes. */
  readonly data: Uint8Array;
}

const BLOCK = 512;
const utf8 = new TextDecoder('utf-8');

/** Text up to the first NUL. */
function text(field: Uint8Array): string {
  const end = field.indexOf(0);
  return utf8.decode(end < 0 ? field : field.subarray(0, end));
}

/** Reads every regular file of a tar archive. `name` is for messages. */
export function readTar(bytes: Uint8Array, name = 'tar archive'): TarEntry[] {
  const fail = (message: string): never => {
    throw new ResNetError(`tar: ${name}: ${message}`);
  };
  if (bytes.length === 0) fail('the archive is empty');
  const entries: TarEntry[] = [];
  let nextName: string | undefined; // from a GNU long-name entry or a pax header, for the next entry
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > bytes.length) {
      fail(
        offset === bytes.length
          ? `the archive ends at byte ${offset} without its end marker (a zero block): truncated`
          : `the archive ends at byte ${bytes.length}, inside the header block at byte ${offset}: truncated`,
      );
    }
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive (a second zero block usually follows)
    checkChecksum(header, offset, fail);
    const size = readNumber(header.subarray(124, 136), `the size field of the header at byte ${offset}`, fail);
    const type = String.fromCharCode(header[156]!);
    const ustar = text(header.subarray(257, 263)) === 'ustar'; // POSIX "ustar\0" (GNU writes "ustar  ")
    const prefix = ustar ? text(header.subarray(345, 500)) : '';
    const path = nextName ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    const start = offset + BLOCK;
    if (start + size > bytes.length) {
      fail(
        `"${path}" (header at byte ${offset}) has ${size} bytes of data, but the archive ends ${bytes.length - start} bytes after its header: truncated`,
      );
    }
    const data = bytes.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      nextName = text(data);
      continue;
    }
    if (type === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    nextName = undefined;
    // '0' and NUL: regular file; '7': contiguous file (a regular file to everyone else).
    if (type === '0' || type === '\0' || type === '7') entries.push({ name: path, data });
  }
  return entries;
}

function checkChecksum(header: Uint8Array, offset: number, fail: (message: string) => never): void {
  const stored = readNumber(header.subarray(148, 156), `the checksum field of the header at byte ${offset}`, fail);
  // The sum of the header's bytes with the checksum field read as eight spaces. Some old writers
  // summed signed bytes, so accept that too.
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += header[i]!;
    signed += (header[i]! << 24) >> 24;
  }
  if (stored !== unsigned && stored !== signed) {
    fail(`the header at byte ${offset} has checksum ${stored}, but its bytes sum to ${unsigned}: corrupt, or not a tar archive`);
  }
}

/** A numeric header field: octal digits (space- or NUL-terminated), or GNU's base-256 for large values. */
function readNumber(field: Uint8Array, what: string, fail: (message: string) => never): number {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) fail(`${what} is too large`);
    return value;
  }
  const digits = text(field).trim();
  if (!/^[0-7]+$/.test(digits)) fail(`${what} is ${JSON.stringify(text(field))}, expected octal digits: corrupt, or not a tar archive`);
  return parseInt(digits, 8);
}

/** The `path` record of a pax extended header (records are "<length> <key>=<value>\n"). */
function paxPath(data: Uint8Array): string | undefined {
  let path: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(utf8.decode(data.subarray(at, space)), 10);
    if (!(length > 0) || at + length > data.length) break;
    const record = utf8.decode(data.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    at += length;
  }
  return path;
}
