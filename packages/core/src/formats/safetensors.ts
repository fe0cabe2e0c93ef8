// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
//
//   [8 bytes: u64 little-endian N][N bytes: UTF-8 JSON header][data buffer]
//
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}, offsets relative
// to the start of the data buffer, plus an optional "__metadata__": {string: string}. Tensor bytes
// are little-endian and C-ordered. Pure TypeScript over Uint8Array/DataView: runs in browsers too.
import { ResNetError } from '../errors.js';
import { decodeToFloat32, hostOrderBytes, type NumericType } from './numeric.js';

/** Every dtype the safetensors format defines (parsing accepts all of them). */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;

export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tensor's raw little-endian bytes: a view into the parsed file, not a copy. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensors in storage order (ascending data offset), which is the writer's order. */
  tensors: Map<string, SafetensorsTensor>;
}

/** A tensor to write: the writer supports the dtypes ResNet weights and buffers need. */
export interface SafetensorsInput {
  name: string;
  dtype: 'F32' | 'I64' | 'I32';
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array;
}

/** Same limit as the reference implementation: a larger header means a corrupt or hostile file. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** Each safetensors dtype as a shared numeric type (all stored little-endian). */
const NUMERIC_TYPE: Readonly<Record<SafetensorsDtype, NumericType>> = {
  BOOL: 'bool',
  U8: 'u8',
  I8: 'i8',
  F8_E5M2: 'f8e5m2',
  F8_E4M3: 'f8e4m3',
  I16: 'i16',
  U16: 'u16',
  F16: 'f16',
  BF16: 'bf16',
  I32: 'i32',
  U32: 'u32',
  F32: 'f32',
  F64: 'f64',
  I64: 'i64',
  U64: 'u64',
};

/** Number of bytes one element of `dtype` takes. */
export function safetensorsDtypeBytes(dtype: SafetensorsDtype): number {
  return DTYPE_BYTES[dtype];
}

function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

function fail(message: string): never {
  throw new ResNetError(`safetensors: ${message}`);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return `an object ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, value: unknown, dataLength: number): Entry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(`tensor "${name}" is ${describe(value)}, expected an object with dtype, shape and data_offsets`);
  }
  const record = value as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in record)) fail(`tensor "${name}" is missing "${field}" (expected dtype, shape and data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = record;
  if (!isSafetensorsDtype(dtype)) {
    fail(`tensor "${name}" has unknown dtype ${describe(dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    fail(`tensor "${name}" has shape ${describe(shape)}, expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    fail(`tensor "${name}" has data_offsets ${describe(offsets)}, expected [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`tensor "${name}" has data_offsets [${begin}, ${end}]: begin is after end`);
  if (end > dataLength) {
    fail(`tensor "${name}" has data_offsets [${begin}, ${end}] but the data buffer is only ${dataLength} bytes ` + `(file truncated?)`);
  }
  const needed = product(shape) * DTYPE_BYTES[dtype];
  if (end - begin !== needed) {
    fail(
      `tensor "${name}" has data_offsets [${begin}, ${end}] (${end - begin} bytes) but dtype ${dtype} and ` +
        `shape ${formatShape(shape)} need ${needed} bytes`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (value === null) return metadata;
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(`"${METADATA_KEY}" is ${describe(value)}, expected an object of string values`);
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') {
      fail(`"${METADATA_KEY}" value "${key}" is ${describe(item)}, expected a string`);
    }
    metadata[key] = item;
  }
  return metadata;
}

/**
 * Parses a safetensors file. Tensor data are views into `bytes` (no copy), so keep `bytes` alive
 * and unmodified while you use them. Validates every entry: known dtype, integer shape, offsets
 * inside the data buffer, not overlapping, and exactly dtype size × element count bytes long.
 * Gaps between tensors and trailing bytes are tolerated.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) fail(`expected the file as a Uint8Array, got ${describe(bytes)}`);
  if (bytes.byteLength < 8) {
    fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    fail(
      `header length ${declared} bytes is larger than the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit ` +
        `(corrupt file, or not safetensors)`,
    );
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.byteLength) {
    fail(
      `header length ${headerLength} bytes exceeds the ${bytes.byteLength - 8} bytes that follow the ` +
        `length prefix (file truncated, or not safetensors)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    fail(`header (${headerLength} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message}); it starts with ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(`header is ${describe(header)}, expected a JSON object mapping tensor names to entries`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(key, value, dataLength));
  }

  // Storage order; Array.prototype.sort is stable, so ties keep header order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (entry.begin === entry.end) continue; // empty tensors occupy no bytes
    if (previous && entry.begin < previous.end) {
      fail(
        `tensors "${previous.name}" (data_offsets [${previous.begin}, ${previous.end}]) and ` +
          `"${entry.name}" (data_offsets [${entry.begin}, ${entry.end}]) overlap`,
      );
    }
    if (!previous || entry.end > previous.end) previous = entry;
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(name, { dtype, shape, data: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { metadata, tensors };
}

/**
 * Converts a tensor of any numeric safetensors dtype to float32 (I64/U64 values beyond 2^24 are
 * rounded, as any float32 conversion must). F32 data that is suitably aligned is returned as a
 * view sharing memory with the file bytes; every other case returns a fresh array.
 */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  const { dtype, data } = tensor;
  const size = DTYPE_BYTES[dtype];
  if (data.byteLength % size !== 0) {
    fail(`tensor data of dtype ${dtype} is ${data.byteLength} bytes, not a multiple of ${size}`);
  }
  return decodeToFloat32(data, NUMERIC_TYPE[dtype], size, true, data.byteLength / size);
}

// ---------------------------------------------------------------------------------------------
// Writing

const WRITE_ARRAY_TYPES = {
  F32: { ctor: Float32Array, name: 'Float32Array' },
  I64: { ctor: BigInt64Array, name: 'BigInt64Array' },
  I32: { ctor: Int32Array, name: 'Int32Array' },
} as const;

/**
 * Serializes tensors to a safetensors file: header entries and data in the given order, stored
 * contiguously, header padded with spaces so the data buffer starts at a multiple of 8.
 */
export function serializeSafetensors(tensors: SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Map<string, number>();
  const headerParts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      fail(`metadata is ${describe(metadata)}, expected an object of string values`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') fail(`metadata value "${key}" is ${describe(value)}, expected a string`);
    }
    headerParts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }

  let offset = 0;
  tensors.forEach((tensor, index) => {
    const { name, dtype, shape, data } = tensor;
    if (typeof name !== 'string') fail(`tensor #${index} has name ${describe(name)}, expected a string`);
    if (name === METADATA_KEY) fail(`tensor #${index} is named "${METADATA_KEY}", which is reserved for metadata`);
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      fail(`duplicate tensor name "${name}" (tensors #${earlier} and #${index}); names must be unique`);
    }
    seen.set(name, index);
    const expected = Object.prototype.hasOwnProperty.call(WRITE_ARRAY_TYPES, dtype)
      ? WRITE_ARRAY_TYPES[dtype]
      : fail(`tensor "${name}" has dtype ${describe(dtype)}; the writer supports F32, I64 and I32`);
    if (!(data instanceof expected.ctor)) {
      const got = (data as unknown as { constructor?: { name?: string } })?.constructor?.name ?? typeof data;
      fail(`tensor "${name}" has dtype ${dtype} but its data is a ${got}, expected a ${expected.name}`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      fail(`tensor "${name}" has shape ${describe(shape)}, expected an array of non-negative integers`);
    }
    const count = product(shape);
    if (count !== data.length) {
      fail(`tensor "${name}" has shape ${formatShape(shape)} (${count} elements) but its data has ${data.length}`);
    }
    const end = offset + data.byteLength;
    headerParts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [offset, end] })}`);
    offset = end;
  });

  // Built by hand rather than with JSON.stringify(object): JS objects put integer-like keys
  // ("0", "1", …) first, which would reorder the header.
  const json = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const padding = (8 - ((8 + json.byteLength) % 8)) % 8;
  const headerLength = json.byteLength + padding;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);

  let position = 8 + headerLength;
  for (const { data } of tensors) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // Host order → little-endian is the same (symmetric) swap as little-endian → host order.
    out.set(hostOrderBytes(bytes, data.BYTES_PER_ELEMENT, true), position);
    position += data.byteLength;
  }
  return out;
}
