/**
 * The IDX format of the MNIST family (LeCun et al.; Fashion-MNIST uses it unchanged): a 4-byte
 * magic number (two zero bytes, a type code, the number of dimensions), one big-endian 32-bit size
 * per dimension, then the values in row-major order. Images are `.idx3-ubyte` (unsigned bytes,
 * [count, rows, columns]), labels `.idx1-ubyte` ([count]). Files may come gzipped, as distributed.
 */
import { ResNetError } from '../../errors.js';
import { gunzip } from '../cifar10/gzip.js';

/** An IDX array of unsigned bytes. */
export interface IdxArray {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** IDX type codes; only unsigned bytes are used by the MNIST family. */
const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/** Parses raw IDX bytes of unsigned bytes with `dims` dimensions; `name` is for messages. */
export function parseIdx(bytes: Uint8Array, name: string, dims: number): IdxArray {
  const kind = dims === 3 ? 'an images file (idx3-ubyte)' : dims === 1 ? 'a labels file (idx1-ubyte)' : `an IDX file of ${dims} dimensions`;
  const short = (): ResNetError => new ResNetError(`idx: ${name} has ${bytes.length} bytes, too short for ${kind}`);
  if (bytes.length < 4) throw short();
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new ResNetError(`idx: ${name} is not an IDX file: its magic number is ${magic}, expected 00 00 08 0${dims} for ${kind}`);
  if (bytes[2] !== UBYTE || bytes[3] !== dims) {
    const type = TYPE_NAMES[bytes[2]!] ?? `type 0x${bytes[2]!.toString(16)}`;
    throw new ResNetError(
      `idx: ${name} holds ${bytes[3]}-dimensional ${type} values (magic ${magic}), expected ${kind} (magic 00 00 08 0${dims})`,
    );
  }
  if (bytes.length < 4 + 4 * dims) throw short();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * dims;
  const expected = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - start;
  if (have !== expected) {
    throw new ResNetError(
      `idx: ${name} has ${have} bytes of data, expected ${shape.join('×')} = ${expected} from its header (${have < expected ? 'truncated' : 'bytes after the end'})`,
    );
  }
  return { shape, data: bytes.subarray(start) };
}

/** Whether bytes are gzip (the files as distributed: `train-images-idx3-ubyte.gz`). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an IDX file, gunzipping it first when it is gzip. */
export async function readIdx(bytes: Uint8Array, name: string, dims: number): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name, dims);
}
