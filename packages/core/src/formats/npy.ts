// Reader and writer for NumPy's .npy format (versions 1.0, 2.0 and 3.0):
//
//   "\x93NUMPY" major minor  header-length (u16 LE in 1.0, u32 LE in 2.0/3.0)  header  data
//
// The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ending in "\n" so the data starts on an aligned offset. Pure TypeScript
// over Uint8Array/DataView: runs in browsers too.
import { ResNetError } from '../errors.js';
import { decodeToFloat32, HOST_LITTLE_ENDIAN, hostOrderBytes, type NumericType } from './numeric.js';

export interface NpyArray {
  /** The header's descr, e.g. '<f4'. */
  dtype: string;
  shape: number[];
  /** Values converted to float32, in C (row-major) order. */
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGNMENT = 64;

/** Type codes (kind + item size) the reader converts; byte order is given separately. */
const SUPPORTED_CODES = ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1'] as const;
type TypeCode = (typeof SUPPORTED_CODES)[number];
const SUPPORTED_LIST = `<f2, <f4, <f8, <i2, <i4, <i8, <u2, <u4, <u8 (or big-endian '>'), |i1, |u1, |b1`;

function fail(message: string): never {
  throw new ResNetError(`npy: ${message}`);
}

/** The header text for error messages: trailing padding dropped, long headers shortened. */
function quoteHeader(text: string): string {
  const trimmed = text.trimEnd();
  return JSON.stringify(trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Formats a shape the way Python prints a tuple: (), (3,), (2, 3). */
export function formatNpyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// A parser for the Python literals that appear in .npy headers: dicts, tuples, lists, strings,
// integers, True/False/None.

type PyValue = string | number | boolean | null | PyValue[] | PyDict;
class PyDict {
  readonly entries = new Map<string, PyValue>();
}
/** A parenthesised tuple, kept distinct from a list so the shape check can mirror numpy's. */
class PyTuple extends Array<PyValue> {}

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): PyValue {
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.error('unexpected text after the dict');
    return value;
  }

  private error(reason: string): never {
    fail(`cannot parse header ${quoteHeader(this.text)} as a Python dict literal: ${reason} at position ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos] as string)) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  private expect(char: string): void {
    if (this.peek() !== char) this.error(`expected '${char}'`);
    this.pos++;
  }

  private value(): PyValue {
    const c = this.peek();
    if (c === '{') return this.dict();
    if (c === '(') return this.sequence('(', ')');
    if (c === '[') return this.sequence('[', ']');
    if (c === "'" || c === '"') return this.string();
    if (/[-+0-9]/.test(c)) return this.integer();
    for (const [word, result] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return result;
      }
    }
    return this.error(c === '' ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private dict(): PyDict {
    this.expect('{');
    const dict = new PyDict();
    while (this.peek() !== '}') {
      const key = this.value();
      if (typeof key !== 'string') this.error('dict keys must be strings');
      this.expect(':');
      dict.entries.set(key, this.value());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') this.error("expected ',' or '}'");
    }
    this.pos++;
    return dict;
  }

  private sequence(open: string, close: string): PyValue {
    this.expect(open);
    const items: PyValue[] = [];
    let sawComma = false;
    while (this.peek() !== close) {
      items.push(this.value());
      if (this.peek() === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.peek() !== close) this.error(`expected ',' or '${close}'`);
    }
    this.pos++;
    if (open === '[') return items;
    // In Python "(3)" is just the integer 3; only a comma (or emptiness) makes a tuple.
    if (items.length === 1 && !sawComma) return items[0] as PyValue;
    const tuple = new PyTuple();
    tuple.push(...items);
    return tuple;
  }

  private string(): string {
    const quote = this.text[this.pos] as string;
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string;
      if (c === quote) return out;
      if (c === '\\') {
        const next = this.text[this.pos++];
        if (next === undefined) break;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      } else out += c;
    }
    return this.error('unterminated string');
  }

  private integer(): number {
    const match = /^[-+]?\d+[lL]?/.exec(this.text.slice(this.pos));
    if (!match) this.error('expected an integer');
    this.pos += match[0].length;
    return Number.parseInt(match[0], 10);
  }
}

function describePy(value: PyValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof PyDict) return 'a dict';
  if (value instanceof PyTuple) return `(${value.map(describePy).join(', ')}${value.length === 1 ? ',' : ''})`;
  if (Array.isArray(value)) return `[${value.map(describePy).join(', ')}]`;
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Descr {
  code: TypeCode;
  littleEndian: boolean;
  itemSize: number;
}

function parseDescr(descr: PyValue | undefined): Descr {
  if (typeof descr !== 'string') {
    fail(`unsupported dtype ${describePy(descr)} (structured or non-string descr); supported: ${SUPPORTED_LIST}`);
  }
  const match = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const code = match ? `${match[2]}${match[3]}` : '';
  if (!match || !(SUPPORTED_CODES as readonly string[]).includes(code)) {
    fail(`unsupported dtype '${descr}'; supported: ${SUPPORTED_LIST}`);
  }
  const order = match[1];
  const itemSize = Number(match[3]);
  if (itemSize > 1 && (order === '|' || order === '')) {
    fail(`dtype '${descr}' has no byte order; expected '<${code}' (little-endian) or '>${code}' (big-endian)`);
  }
  // '=' means "native" to the writer; numpy itself always writes '<' or '>', and every platform
  // numpy files come from in practice is little-endian, so '=' is read as little-endian.
  return { code: code as TypeCode, littleEndian: order !== '>', itemSize };
}

/** Each supported npy type code as a shared numeric type. */
const NUMERIC_TYPE: Readonly<Record<TypeCode, NumericType>> = {
  f2: 'f16',
  f4: 'f32',
  f8: 'f64',
  i1: 'i8',
  i2: 'i16',
  i4: 'i32',
  i8: 'i64',
  u1: 'u8',
  u2: 'u16',
  u4: 'u32',
  u8: 'u64',
  b1: 'bool',
};

function decode(bytes: Uint8Array, { code, littleEndian, itemSize }: Descr, count: number): Float32Array {
  return decodeToFloat32(bytes, NUMERIC_TYPE[code], itemSize, littleEndian, count);
}

/** Reorders column-major (Fortran) data into row-major (C) order. */
function fortranToC(src: Float32Array, shape: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(src.length);
  if (rank < 2 || src.length === 0) {
    out.set(src);
    return out;
  }
  const cStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) cStrides[d] = (cStrides[d + 1] as number) * (shape[d + 1] as number);
  const index = new Array<number>(rank).fill(0);
  let cOffset = 0;
  for (let p = 0; p < src.length; p++) {
    out[cOffset] = src[p] as number;
    // Advance the multi-index with the first axis fastest (Fortran order).
    for (let d = 0; d < rank; d++) {
      index[d] = (index[d] as number) + 1;
      cOffset += cStrides[d] as number;
      if ((index[d] as number) < (shape[d] as number)) break;
      cOffset -= (index[d] as number) * (cStrides[d] as number);
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Parses a .npy file (format 1.0, 2.0 or 3.0) and converts its values to float32 in C order.
 * Reads little- and big-endian data, and Fortran-ordered arrays (transposed into C order).
 * For aligned little-endian '<f4' C-order data the result may be a view sharing `bytes`' memory.
 */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (!(bytes instanceof Uint8Array)) fail('expected the file as a Uint8Array');
  const magicOk = bytes.byteLength >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
  if (!magicOk) {
    const got = Array.from(bytes.subarray(0, MAGIC.length), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`bad magic bytes [${got}]; expected [93 4e 55 4d 50 59] ("\\x93NUMPY"): not a .npy file`);
  }
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, truncated inside the format version`);
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.byteLength < prefix) {
    fail(`file is ${bytes.byteLength} bytes, too short for the ${prefix}-byte preamble of format ${major}.${minor}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (prefix + headerLength > bytes.byteLength) {
    fail(
      `truncated header: it declares ${headerLength} bytes but only ${bytes.byteLength - prefix} follow the ` + `${prefix}-byte preamble`,
    );
  }
  const headerBytes = bytes.subarray(prefix, prefix + headerLength);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);

  const dict = new LiteralParser(header).parseAll();
  if (!(dict instanceof PyDict)) fail(`header ${quoteHeader(header)} is not a dict`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.entries.has(key)) {
      fail(`header ${quoteHeader(header)} is missing '${key}'; expected 'descr', 'fortran_order' and 'shape'`);
    }
  }
  const descrValue = dict.entries.get('descr');
  const descr = parseDescr(descrValue);
  const fortran = dict.entries.get('fortran_order');
  if (typeof fortran !== 'boolean') fail(`'fortran_order' is ${describePy(fortran)}, expected True or False`);
  const shapeValue = dict.entries.get('shape');
  if (!(shapeValue instanceof PyTuple || Array.isArray(shapeValue)) || !shapeValue.every(isNonNegativeInteger)) {
    fail(`'shape' is ${describePy(shapeValue)}, expected a tuple of non-negative integers`);
  }
  const shape = [...(shapeValue as number[])];
  const count = shape.reduce((a, b) => a * b, 1);

  const dataStart = prefix + headerLength;
  const data = bytes.subarray(dataStart);
  const needed = count * descr.itemSize;
  if (data.byteLength !== needed) {
    fail(
      `shape ${formatNpyShape(shape)} of '${descrValue as string}' needs ${needed} bytes of data but the file has ` +
        `${data.byteLength} after the header`,
    );
  }
  const values = decode(data, descr, count);
  return { dtype: descrValue as string, shape, data: fortran ? fortranToC(values, shape) : values };
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serializes float32 data in C order as a version 1.0 '<f4' .npy file whose data starts on a
 * 64-byte boundary (format 2.0 only if the header would not fit in 65535 bytes).
 */
export function serializeNpy(shape: number[], data: Float32Array): Uint8Array {
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    fail(`shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  if (!(data instanceof Float32Array)) fail('data must be a Float32Array');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    fail(`shape ${formatNpyShape(shape)} has ${count} elements but data has ${data.length}`);
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${formatNpyShape(shape)}, }`;
  let major = 1;
  let prefix = 10;
  let padding = (ALIGNMENT - ((prefix + dict.length + 1) % ALIGNMENT)) % ALIGNMENT;
  if (dict.length + padding + 1 > 0xffff) {
    major = 2;
    prefix = 12;
    padding = (ALIGNMENT - ((prefix + dict.length + 1) % ALIGNMENT)) % ALIGNMENT;
  }
  const header = `${dict}${' '.repeat(padding)}\n`;
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(HOST_LITTLE_ENDIAN ? raw : hostOrderBytes(raw, 4, true), prefix + header.length);
  return out;
}
