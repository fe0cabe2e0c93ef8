/**
 * The part of the ZIP format `torch.save` writes (PyTorch ≥ 1.6, `_use_new_zipfile_serialization`):
 * an archive of stored (uncompressed) entries, found through the central directory at its end.
 * Enough to read a checkpoint, and strict about the rest: a compressed or encrypted entry, a
 * truncated file or a file that is not a ZIP archive is refused with a message that says which.
 * ZIP64 records (archives or entries over 4 GiB) are read too.
 */
import { ResNetError } from '../../errors.js';

export interface ZipEntry {
  readonly name: string;
  /** The entry's bytes, a view into the archive (no copy). */
  readonly data: Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function fail(what: string, why: string): never {
  throw new ResNetError(`resnet: ${what} is not a readable PyTorch checkpoint: ${why}`);
}

/** The stored entries of a ZIP archive, by name. `what` names the file in errors. */
export function readZip(bytes: Uint8Array, what: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(what, `a ZIP64 field (${v}) is larger than this reader handles`);
    return Number(v);
  };
  if (bytes.length < 22) fail(what, `it is ${bytes.length} bytes long, shorter than any ZIP archive`);
  if (u32(0) !== LOCAL) {
    // A pickle file of its own (torch.save before 1.6, or _use_new_zipfile_serialization=False).
    if (bytes[0] === 0x80)
      fail(what, 'it is a legacy (pre-1.6, non-zip) torch.save file; re-save it with a current PyTorch (torch.save(torch.load(f), g))');
    fail(what, 'it is not a ZIP archive (a .pth/.pt file from torch.save ≥ 1.6 starts with "PK\\x03\\x04")');
  }
  // The end-of-central-directory record: within the last 65,557 bytes (22 + a comment of ≤ 65,535).
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 65557); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail(what, 'it has no ZIP end record: the file is truncated or damaged');
  let count = u16(eocd + 10);
  let size = u32(eocd + 12);
  let offset = u32(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== EOCD64_LOCATOR) fail(what, 'its ZIP64 end record is missing: the file is damaged');
    const record = u64(locator + 8);
    if (record + 56 > bytes.length || u32(record) !== EOCD64) fail(what, 'its ZIP64 end record is damaged');
    count = u64(record + 32);
    size = u64(record + 40);
    offset = u64(record + 48);
  }
  if (offset + size > bytes.length)
    fail(what, `its central directory (${size} bytes at ${offset}) lies past the end of the file: the file is truncated`);
  const entries = new Map<string, ZipEntry>();
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || u32(at) !== CENTRAL) fail(what, `entry ${i + 1} of ${count} of its central directory is damaged`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressed = u32(at + 20);
    let uncompressed = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extended information (header 0x0001): the fields that were 0xFFFFFFFF, in order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(extra);
      const length = u16(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressed === 0xffffffff) {
          uncompressed = u64(field);
          field += 8;
        }
        if (compressed === 0xffffffff) {
          compressed = u64(field);
          field += 8;
        }
        if (local === 0xffffffff) local = u64(field);
      }
      extra += 4 + length;
    }
    if (flags & 1) fail(what, `its entry "${name}" is encrypted`);
    if (method !== 0) fail(what, `its entry "${name}" is compressed (ZIP method ${method}); torch.save stores entries uncompressed`);
    if (compressed !== uncompressed) fail(what, `its entry "${name}" is stored with ${compressed} bytes for ${uncompressed}`);
    if (local + 30 > bytes.length || u32(local) !== LOCAL) fail(what, `the local header of its entry "${name}" is damaged`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + uncompressed > bytes.length)
      fail(what, `its entry "${name}" (${uncompressed} bytes at ${start}) lies past the end of the file: the file is truncated`);
    entries.set(name, { name, data: bytes.subarray(start, start + uncompressed) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
