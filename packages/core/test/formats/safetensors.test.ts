import { describe, expect, test } from 'vitest';
import { ResNetError } from '../../src/errors.js';
import { float16BitsToNumber, parseSafetensors, serializeSafetensors, toFloat32 } from '../../src/formats/index.js';
import type { SafetensorsInput, SafetensorsTensor } from '../../src/formats/index.js';

// ---------------------------------------------------------------------------------------------
// Hand-built fixtures, straight from the format description (independent of the writer):
// u64 LE header length, UTF-8 JSON header, data buffer.

function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerPadding = 0): Uint8Array {
  const text = (typeof header === 'string' ? header : JSON.stringify(header)) + ' '.repeat(headerPadding);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes from a list of values written with a DataView setter. */
function le(size: number, values: Array<number | bigint>, write: (view: DataView, offset: number, v: never) => void) {
  const bytes = new Uint8Array(size * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => write(view, i * size, v as never));
  return bytes;
}
const u16 = (values: number[]) => le(2, values, (v, o, x: number) => v.setUint16(o, x, true));
const f32 = (values: number[]) => le(4, values, (v, o, x: number) => v.setFloat32(o, x, true));
const f64 = (values: number[]) => le(8, values, (v, o, x: number) => v.setFloat64(o, x, true));
const i64 = (values: bigint[]) => le(8, values, (v, o, x: bigint) => v.setBigInt64(o, x, true));
const i32 = (values: number[]) => le(4, values, (v, o, x: number) => v.setInt32(o, x, true));
const i16 = (values: number[]) => le(2, values, (v, o, x: number) => v.setInt16(o, x, true));

function single(dtype: string, shape: number[], data: Uint8Array): SafetensorsTensor {
  const file = buildFile({ t: { dtype, shape, data_offsets: [0, data.length] } }, data);
  const tensor = parseSafetensors(file).tensors.get('t');
  if (!tensor) throw new Error('tensor t missing');
  return tensor;
}

function values(dtype: string, shape: number[], data: Uint8Array): number[] {
  return Array.from(toFloat32(single(dtype, shape, data)));
}

// ---------------------------------------------------------------------------------------------

describe('serializeSafetensors / parseSafetensors round trip', () => {
  const weight = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 3);
  const steps = BigInt64Array.from([0n, -1n, 9007199254740993n]);
  const counts = Int32Array.from([7, -8, 2147483647]);
  const input: SafetensorsInput[] = [
    { name: 'conv1.weight', dtype: 'F32', shape: [2, 3, 2], data: weight },
    { name: 'bn1.num_batches_tracked', dtype: 'I64', shape: [3], data: steps },
    { name: 'counts', dtype: 'I32', shape: [3], data: counts },
    { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(42) },
    { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  ];

  test('values, dtypes, shapes and metadata survive', () => {
    const bytes = serializeSafetensors(input, { format: 'pt', source: 'unit test' });
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', source: 'unit test' });
    expect([...file.tensors.keys()]).toEqual(['conv1.weight', 'bn1.num_batches_tracked', 'counts', 'scalar', 'empty']);

    const w = file.tensors.get('conv1.weight');
    expect(w?.dtype).toBe('F32');
    expect(w?.shape).toEqual([2, 3, 2]);
    expect(Array.from(toFloat32(w as SafetensorsTensor))).toEqual(Array.from(weight));

    const s = file.tensors.get('bn1.num_batches_tracked') as SafetensorsTensor;
    expect(s.dtype).toBe('I64');
    const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    expect([0, 1, 2].map((i) => view.getBigInt64(i * 8, true))).toEqual([0n, -1n, 9007199254740993n]);
    expect(Array.from(toFloat32(s))).toEqual([0, -1, 9007199254740992]);

    const c = file.tensors.get('counts') as SafetensorsTensor;
    expect(c.dtype).toBe('I32');
    expect(Array.from(toFloat32(c))).toEqual([7, -8, 2147483648]);

    expect(file.tensors.get('scalar')?.shape).toEqual([]);
    expect(Array.from(toFloat32(file.tensors.get('scalar') as SafetensorsTensor))).toEqual([42]);
    expect(file.tensors.get('empty')?.shape).toEqual([0, 4]);
    expect(file.tensors.get('empty')?.data.byteLength).toBe(0);
  });

  test('layout follows the reference writer: 8-aligned data, space padding, contiguous given order', () => {
    const bytes = serializeSafetensors(input);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText).toMatch(/^\{.*\} *$/);
    expect(headerText.trimEnd().length).toBeGreaterThan(n - 8);
    const header = JSON.parse(headerText) as Record<string, { data_offsets: [number, number] }>;
    expect(header['__metadata__']).toBeUndefined();
    expect(header['conv1.weight']?.data_offsets).toEqual([0, 48]);
    expect(header['bn1.num_batches_tracked']?.data_offsets).toEqual([48, 72]);
    expect(header['counts']?.data_offsets).toEqual([72, 84]);
    expect(header['scalar']?.data_offsets).toEqual([84, 88]);
    expect(header['empty']?.data_offsets).toEqual([88, 88]);
    expect(bytes.length).toBe(8 + n + 88);
    // Data bytes are little-endian float32.
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 4, true)).toBe(-2.5);
  });

  test('header keeps the given order even for integer-like names', () => {
    const bytes = serializeSafetensors([
      { name: 'b', dtype: 'F32', shape: [1], data: Float32Array.of(1) },
      { name: '10', dtype: 'F32', shape: [1], data: Float32Array.of(2) },
      { name: '2', dtype: 'F32', shape: [1], data: Float32Array.of(3) },
    ]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.indexOf('"b"')).toBeLessThan(headerText.indexOf('"10"'));
    expect(headerText.indexOf('"10"')).toBeLessThan(headerText.indexOf('"2"'));
    const file = parseSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(['b', '10', '2']);
    expect(Array.from(toFloat32(file.tensors.get('2') as SafetensorsTensor))).toEqual([3]);
  });

  test('empty metadata object is written and read back; no tensors is a valid file', () => {
    const bytes = serializeSafetensors([], {});
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({});
    expect(file.tensors.size).toBe(0);
    expect(bytes.length % 8).toBe(0);
  });

  test('typed-array views with an offset serialize only their own elements', () => {
    const backing = Float32Array.from([9, 9, 1, 2, 3, 9]);
    const bytes = serializeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: backing.subarray(2, 5) }]);
    expect(Array.from(toFloat32(parseSafetensors(bytes).tensors.get('x') as SafetensorsTensor))).toEqual([1, 2, 3]);
  });
});

describe('parseSafetensors on hand-built files', () => {
  test('tensor data is a view into the input (no copy), ordered by data offset', () => {
    const data = f32([1, 2, 3, 4]);
    const file = buildFile(
      {
        __metadata__: { format: 'pt' },
        second: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        first: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      },
      data,
    );
    const parsed = parseSafetensors(file);
    expect([...parsed.tensors.keys()]).toEqual(['first', 'second']);
    const second = parsed.tensors.get('second') as SafetensorsTensor;
    expect(second.data.buffer).toBe(file.buffer);
    expect(second.data.byteOffset).toBe(file.length - 8);
    expect(Array.from(toFloat32(second))).toEqual([3, 4]);
    expect(parsed.metadata).toEqual({ format: 'pt' });
  });

  test('input that is itself a view with an offset parses correctly', () => {
    const inner = buildFile({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32([5, 6]));
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(toFloat32(parseSafetensors(outer.subarray(3)).tensors.get('t') as SafetensorsTensor))).toEqual([5, 6]);
  });

  test('F16: 0x3C00 = 1.0 and the special values', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555];
    const got = values('F16', [3, 3], u16(bits));
    expect(got.slice(0, 5)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14]);
    expect(got[5]).toBe(Infinity);
    expect(got[6]).toBe(-Infinity);
    expect(Object.is(got[7], -0)).toBe(true);
    expect(got[8]).toBeCloseTo(1 / 3, 3);
    expect(Number.isNaN(values('F16', [1], u16([0x7e00]))[0])).toBe(true);
    expect(float16BitsToNumber(0x3c00)).toBe(1);
  });

  test('BF16: 0x3F80 = 1.0', () => {
    expect(values('BF16', [4], u16([0x3f80, 0xc040, 0x4049, 0x0000]))).toEqual([1, -3, 3.140625, 0]);
  });

  test('F64 is rounded to float32', () => {
    expect(values('F64', [3], f64([1.5, -2.25, 0.1]))).toEqual([1.5, -2.25, Math.fround(0.1)]);
    expect(values('F64', [1], f64([1e300]))).toEqual([Infinity]);
  });

  test('I64 and U64 (including values beyond 2^53)', () => {
    expect(values('I64', [2, 2], i64([-1n, 5n, 1n << 40n, -(1n << 62n)]))).toEqual([-1, 5, 2 ** 40, -(2 ** 62)]);
    expect(values('U64', [1], i64([-1n]))).toEqual([Math.fround(2 ** 64)]);
  });

  test('I32, U32, I16, U16, I8, U8, BOOL', () => {
    expect(values('I32', [3], i32([-2147483648, 0, 123456]))).toEqual([-2147483648, 0, 123456]);
    expect(values('U32', [1], i32([-1]))).toEqual([4294967296]);
    expect(values('I16', [3], i16([-32768, -1, 32767]))).toEqual([-32768, -1, 32767]);
    expect(values('U16', [2], u16([65535, 1]))).toEqual([65535, 1]);
    expect(values('I8', [3], Uint8Array.of(0xff, 0x80, 0x7f))).toEqual([-1, -128, 127]);
    expect(values('U8', [3], Uint8Array.of(0xff, 0x80, 0x7f))).toEqual([255, 128, 127]);
    expect(values('BOOL', [3], Uint8Array.of(1, 0, 1))).toEqual([1, 0, 1]);
  });

  test('F8_E5M2 and F8_E4M3', () => {
    // E5M2 0x3C = 1.0 (top byte of f16 0x3C00); 0xC0 = -2; 0x7C = inf.
    expect(values('F8_E5M2', [3], Uint8Array.of(0x3c, 0xc0, 0x7c))).toEqual([1, -2, Infinity]);
    // E4M3 0x38 = 1.0, 0x7E = 448 (max), 0x01 = 2^-9 (smallest subnormal), 0xC0 = -2.
    const e4m3 = values('F8_E4M3', [5], Uint8Array.of(0x38, 0x7e, 0x01, 0xc0, 0x7f));
    expect(e4m3.slice(0, 4)).toEqual([1, 448, 2 ** -9, -2]);
    expect(Number.isNaN(e4m3[4])).toBe(true);
  });

  test('F32 data at an unaligned offset is copied; aligned data is viewed', () => {
    // Header of odd length (no padding) puts the data buffer at an odd byte offset.
    let header = JSON.stringify({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    if ((8 + header.length) % 2 === 0) header += ' ';
    const unaligned = parseSafetensors(buildFile(header, f32([1.25, -7]))).tensors.get('t') as SafetensorsTensor;
    expect(unaligned.data.byteOffset % 4).not.toBe(0);
    const copied = toFloat32(unaligned);
    expect(Array.from(copied)).toEqual([1.25, -7]);
    expect(copied.buffer).not.toBe(unaligned.data.buffer);

    const bytes = serializeSafetensors([{ name: 't', dtype: 'F32', shape: [2], data: Float32Array.of(1.25, -7) }]);
    const aligned = parseSafetensors(bytes).tensors.get('t') as SafetensorsTensor;
    const viewed = toFloat32(aligned);
    expect(Array.from(viewed)).toEqual([1.25, -7]);
    expect(viewed.buffer).toBe(bytes.buffer);
  });

  test('unaligned F16/BF16/I64 data is read correctly', () => {
    let header = JSON.stringify({
      a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
      b: { dtype: 'I64', shape: [1], data_offsets: [2, 10] },
    });
    if ((8 + header.length) % 2 === 0) header += ' ';
    const data = new Uint8Array(10);
    data.set(u16([0x3c00]), 0);
    data.set(i64([-3n]), 2);
    const file = parseSafetensors(buildFile(header, data));
    expect(Array.from(toFloat32(file.tensors.get('a') as SafetensorsTensor))).toEqual([1]);
    expect(Array.from(toFloat32(file.tensors.get('b') as SafetensorsTensor))).toEqual([-3]);
  });

  test('null __metadata__, gaps between tensors and trailing bytes are tolerated', () => {
    const data = new Uint8Array(20);
    data.set(f32([3]), 8);
    const file = parseSafetensors(buildFile({ __metadata__: null, t: { dtype: 'F32', shape: [], data_offsets: [8, 12] } }, data));
    expect(file.metadata).toEqual({});
    expect(Array.from(toFloat32(file.tensors.get('t') as SafetensorsTensor))).toEqual([3]);
  });
});

describe('parseSafetensors errors', () => {
  const entry = (extra: object = {}) => ({ dtype: 'F32', shape: [2], data_offsets: [0, 8], ...extra });

  test('all errors are ResNetError with the format prefix', () => {
    let caught: unknown;
    try {
      parseSafetensors(new Uint8Array(3));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ResNetError);
    expect((caught as Error).name).toBe('ResNetError');
    expect((caught as Error).message).toMatch(/^safetensors: /);
  });

  test('file shorter than 8 bytes', () => {
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow(/safetensors: file is 5 bytes, too short for the 8-byte header length/);
  });

  test('header length larger than the file', () => {
    const bytes = buildFile({ t: entry() }, f32([1, 2])).subarray(0, 20);
    expect(() => parseSafetensors(bytes)).toThrow(/safetensors: header length \d+ bytes exceeds the 12 bytes that follow/);
  });

  test('absurd header length (> 100 MB)', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => parseSafetensors(bytes)).toThrow(/safetensors: header length 1099511627776 bytes is larger than the 100000000-byte limit/);
  });

  test('header not JSON', () => {
    expect(() => parseSafetensors(buildFile('{"t": {'))).toThrow(/safetensors: header is not valid JSON .*starts with "\{\\"t\\": \{"/);
  });

  test('header not UTF-8', () => {
    const bytes = buildFile('{}  ');
    bytes[9] = 0xff;
    expect(() => parseSafetensors(bytes)).toThrow(/safetensors: header \(4 bytes\) is not valid UTF-8/);
  });

  test('header JSON that is not an object', () => {
    expect(() => parseSafetensors(buildFile('[1, 2]'))).toThrow(/safetensors: header is an array \[1,2\], expected a JSON object/);
    expect(() => parseSafetensors(buildFile('null'))).toThrow(/safetensors: header is null, expected a JSON object/);
  });

  test('tensor entry that is not an object', () => {
    expect(() => parseSafetensors(buildFile({ t: 5 }))).toThrow(
      /safetensors: tensor "t" is number 5, expected an object with dtype, shape and data_offsets/,
    );
  });

  test.each(['dtype', 'shape', 'data_offsets'])('tensor entry missing %s', (field) => {
    const e: Record<string, unknown> = entry();
    delete e[field];
    expect(() => parseSafetensors(buildFile({ 'fc.weight': e }, f32([1, 2])))).toThrow(
      new RegExp(`safetensors: tensor "fc.weight" is missing "${field}"`),
    );
  });

  test('unknown dtype names the dtype and lists the known ones', () => {
    expect(() => parseSafetensors(buildFile({ t: entry({ dtype: 'F128' }) }, f32([1, 2])))).toThrow(
      /safetensors: tensor "t" has unknown dtype the string "F128"; expected one of BOOL, U8, .*F32, F64, I64, U64/,
    );
  });

  test('bad shape and bad data_offsets', () => {
    expect(() => parseSafetensors(buildFile({ t: entry({ shape: [2, -1] }) }, f32([1, 2])))).toThrow(
      /safetensors: tensor "t" has shape an array \[2,-1\], expected an array of non-negative integers/,
    );
    expect(() => parseSafetensors(buildFile({ t: entry({ shape: [1.5] }) }, f32([1, 2])))).toThrow(/tensor "t" has shape/);
    expect(() => parseSafetensors(buildFile({ t: entry({ data_offsets: [0] }) }, f32([1, 2])))).toThrow(
      /safetensors: tensor "t" has data_offsets an array \[0\], expected \[begin, end\]/,
    );
    expect(() => parseSafetensors(buildFile({ t: entry({ data_offsets: [8, 0] }) }, f32([1, 2])))).toThrow(
      /safetensors: tensor "t" has data_offsets \[8, 0\]: begin is after end/,
    );
  });

  test('offsets out of range', () => {
    expect(() => parseSafetensors(buildFile({ t: entry({ data_offsets: [4, 12] }) }, f32([1, 2])))).toThrow(
      /safetensors: tensor "t" has data_offsets \[4, 12\] but the data buffer is only 8 bytes/,
    );
  });

  test('offsets not matching dtype × shape', () => {
    const file = buildFile({ 'fc.weight': { dtype: 'F32', shape: [10, 64], data_offsets: [0, 12] } }, new Uint8Array(12));
    expect(() => parseSafetensors(file)).toThrow(
      'safetensors: tensor "fc.weight" has data_offsets [0, 12] (12 bytes) but dtype F32 and shape [10, 64] need 2560 bytes',
    );
  });

  test('overlapping tensors', () => {
    const file = buildFile(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    );
    expect(() => parseSafetensors(file)).toThrow(
      /safetensors: tensors "a" \(data_offsets \[0, 8\]\) and "b" \(data_offsets \[4, 12\]\) overlap/,
    );
    const contained = buildFile(
      {
        big: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        small: { dtype: 'F32', shape: [1], data_offsets: [12, 16] },
        after: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      new Uint8Array(16),
    );
    expect(() => parseSafetensors(contained)).toThrow(/tensors "big" .* and "after" .* overlap/);
  });

  test('metadata values that are not strings', () => {
    expect(() => parseSafetensors(buildFile({ __metadata__: { epochs: 90 } }))).toThrow(
      /safetensors: "__metadata__" value "epochs" is number 90, expected a string/,
    );
    expect(() => parseSafetensors(buildFile({ __metadata__: ['x'] }))).toThrow(
      /safetensors: "__metadata__" is an array \["x"\], expected an object of string values/,
    );
  });
});

describe('serializeSafetensors errors', () => {
  const one = (extra: Partial<SafetensorsInput> = {}): SafetensorsInput => ({
    name: 'x',
    dtype: 'F32',
    shape: [2],
    data: Float32Array.of(1, 2),
    ...extra,
  });

  test('duplicate names', () => {
    expect(() => serializeSafetensors([one(), one({ name: 'y' }), one()])).toThrow(
      /safetensors: duplicate tensor name "x" \(tensors #0 and #2\); names must be unique/,
    );
  });

  test('reserved name, wrong data type, bad dtype, shape/data mismatch, non-string metadata', () => {
    expect(() => serializeSafetensors([one({ name: '__metadata__' })])).toThrow(
      /safetensors: tensor #0 is named "__metadata__", which is reserved/,
    );
    expect(() => serializeSafetensors([one({ dtype: 'I64' })])).toThrow(
      /safetensors: tensor "x" has dtype I64 but its data is a Float32Array, expected a BigInt64Array/,
    );
    expect(() => serializeSafetensors([one({ dtype: 'F16' as 'F32' })])).toThrow(
      /safetensors: tensor "x" has dtype the string "F16"; the writer supports F32, I64 and I32/,
    );
    expect(() => serializeSafetensors([one({ shape: [3] })])).toThrow(
      /safetensors: tensor "x" has shape \[3\] \(3 elements\) but its data has 2/,
    );
    expect(() => serializeSafetensors([one()], { epochs: 90 as unknown as string })).toThrow(
      /safetensors: metadata value "epochs" is number 90, expected a string/,
    );
  });
});
