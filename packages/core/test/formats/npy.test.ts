import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ResNetError } from '../../src/errors.js';
import { parseNpy, serializeNpy } from '../../src/formats/index.js';

// ---------------------------------------------------------------------------------------------
// Hand-built fixtures, straight from the format description (independent of the writer).

interface BuildOptions {
  major?: number;
  minor?: number;
  /** Pad so the data starts at a multiple of this (64 for current numpy, 16 for old writers). */
  align?: number;
}

function buildNpy(dict: string, data: Uint8Array, { major = 1, minor = 0, align = 64 }: BuildOptions = {}): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const padding = (align - ((prefix + dict.length + 1) % align)) % align;
  const header = new TextEncoder().encode(`${dict}${' '.repeat(padding)}\n`);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor], 0);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

const dictFor = (descr: string, shape: string, fortran = false) =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;

function bytesOf(size: number, values: Array<number | bigint>, write: (v: DataView, o: number, x: never) => void) {
  const bytes = new Uint8Array(size * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => write(view, i * size, x as never));
  return bytes;
}
const f4 = (xs: number[], little = true) => bytesOf(4, xs, (v, o, x: number) => v.setFloat32(o, x, little));
const f8 = (xs: number[], little = true) => bytesOf(8, xs, (v, o, x: number) => v.setFloat64(o, x, little));
const i8 = (xs: bigint[], little = true) => bytesOf(8, xs, (v, o, x: bigint) => v.setBigInt64(o, x, little));
const i4 = (xs: number[], little = true) => bytesOf(4, xs, (v, o, x: number) => v.setInt32(o, x, little));
const i2 = (xs: number[], little = true) => bytesOf(2, xs, (v, o, x: number) => v.setInt16(o, x, little));
const u2 = (xs: number[], little = true) => bytesOf(2, xs, (v, o, x: number) => v.setUint16(o, x, little));

// ---------------------------------------------------------------------------------------------

describe('serializeNpy / parseNpy round trip', () => {
  test.each([
    { shape: [2, 3], label: '2-D' },
    { shape: [5], label: '1-D' },
    { shape: [], label: 'scalar' },
    { shape: [2, 4, 4, 3], label: '4-D NHWC' },
    { shape: [0, 3], label: 'empty' },
  ])('$label $shape', ({ shape }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: count }, (_, i) => Math.sin(i) * 100);
    const parsed = parseNpy(serializeNpy(shape, data));
    expect(parsed.dtype).toBe('<f4');
    expect(parsed.shape).toEqual(shape);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  test('header is exactly numpy-style, padded to 64 bytes, ending in a newline', () => {
    const cases: Array<[number[], string]> = [
      [[3], '(3,)'],
      [[], '()'],
      [[2, 3], '(2, 3)'],
    ];
    for (const [shape, tuple] of cases) {
      const bytes = serializeNpy(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
      expect(header.endsWith('\n')).toBe(true);
      expect(header.trimEnd()).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`);
    }
  });

  test('data is written little-endian', () => {
    const bytes = serializeNpy([2], Float32Array.of(1.5, -2));
    const start = 10 + new DataView(bytes.buffer).getUint16(8, true);
    expect(new DataView(bytes.buffer).getFloat32(start, true)).toBe(1.5);
    expect(new DataView(bytes.buffer).getFloat32(start + 4, true)).toBe(-2);
  });

  test('serializeNpy rejects a shape that does not match the data', () => {
    expect(() => serializeNpy([2, 3], new Float32Array(5))).toThrow(/npy: shape \(2, 3\) has 6 elements but data has 5/);
    expect(() => serializeNpy([-1], new Float32Array(1))).toThrow(/npy: shape \[-1\] is not an array of non-negative integers/);
  });
});

describe('parseNpy on hand-built files', () => {
  test('every supported little-endian dtype', () => {
    const read = (descr: string, shape: string, data: Uint8Array) => Array.from(parseNpy(buildNpy(dictFor(descr, shape), data)).data);
    expect(read('<f4', '(2,)', f4([0.25, -1]))).toEqual([0.25, -1]);
    expect(read('<f8', '(3,)', f8([1.5, 0.1, 1e300]))).toEqual([1.5, Math.fround(0.1), Infinity]);
    expect(read('<f2', '(3,)', u2([0x3c00, 0xc000, 0x7bff]))).toEqual([1, -2, 65504]);
    expect(read('<i8', '(3,)', i8([-1n, 1n << 40n, 7n]))).toEqual([-1, 2 ** 40, 7]);
    expect(read('<i4', '(2,)', i4([-2147483648, 99]))).toEqual([-2147483648, 99]);
    expect(read('<i2', '(2,)', i2([-32768, 32767]))).toEqual([-32768, 32767]);
    expect(read('<u2', '(1,)', u2([65535]))).toEqual([65535]);
    expect(read('|i1', '(3,)', Uint8Array.of(0xff, 0x80, 0x7f))).toEqual([-1, -128, 127]);
    expect(read('|u1', '(3,)', Uint8Array.of(0xff, 0x80, 0x7f))).toEqual([255, 128, 127]);
    expect(read('|b1', '(3,)', Uint8Array.of(1, 0, 1))).toEqual([1, 0, 1]);
    // Any byte-order mark is valid for 1-byte types; '=' (native) is read as little-endian.
    expect(read('<u1', '(1,)', Uint8Array.of(200))).toEqual([200]);
    expect(read('=f4', '(1,)', f4([3.5]))).toEqual([3.5]);
  });

  test('big-endian data is converted correctly', () => {
    const read = (descr: string, data: Uint8Array) => Array.from(parseNpy(buildNpy(dictFor(descr, '(2,)'), data)).data);
    expect(read('>f4', f4([1.5, -2], false))).toEqual([1.5, -2]);
    expect(read('>f8', f8([0.5, 3], false))).toEqual([0.5, 3]);
    expect(read('>i8', i8([-5n, 1n << 33n], false))).toEqual([-5, 2 ** 33]);
    expect(read('>i4', i4([-7, 65536], false))).toEqual([-7, 65536]);
    expect(read('>i2', i2([-2, 258], false))).toEqual([-2, 258]);
    expect(read('>f2', u2([0x3c00, 0x4000], false))).toEqual([1, 2]);
    const parsed = parseNpy(buildNpy(dictFor('>f4', '(2,)'), f4([1.5, -2], false)));
    expect(parsed.dtype).toBe('>f4');
  });

  test('fortran_order: True is transposed into C order', () => {
    // C-order matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
    const parsed = parseNpy(buildNpy(dictFor('<f4', '(2, 3)', true), f4([1, 4, 2, 5, 3, 6])));
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);

    // 3-D: value at [i, j, k] = 100i + 10j + k, written in Fortran order (i fastest).
    const [a, b, c] = [2, 3, 4];
    const fortran: number[] = [];
    for (let k = 0; k < c; k++) for (let j = 0; j < b; j++) for (let i = 0; i < a; i++) fortran.push(100 * i + 10 * j + k);
    const expected: number[] = [];
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) expected.push(100 * i + 10 * j + k);
    const cube = parseNpy(buildNpy(dictFor('<i4', '(2, 3, 4)', true), i4(fortran)));
    expect(Array.from(cube.data)).toEqual(expected);
  });

  test('shape () is a scalar with one element', () => {
    const parsed = parseNpy(buildNpy(dictFor('<f8', '()'), f8([2.5])));
    expect(parsed.shape).toEqual([]);
    expect(Array.from(parsed.data)).toEqual([2.5]);
  });

  test('versions 2.0 and 3.0, 16-byte alignment, key order, double quotes, no trailing comma, Python 2 longs', () => {
    expect(Array.from(parseNpy(buildNpy(dictFor('<f4', '(1,)'), f4([7]), { major: 2 })).data)).toEqual([7]);
    expect(Array.from(parseNpy(buildNpy(dictFor('<f4', '(1,)'), f4([8]), { major: 3 })).data)).toEqual([8]);
    expect(Array.from(parseNpy(buildNpy(dictFor('<f4', '(1,)'), f4([9]), { align: 16 })).data)).toEqual([9]);
    const odd = `{"shape": (2L, 1L), "fortran_order": False, "descr": "<f4"}`;
    const parsed = parseNpy(buildNpy(odd, f4([1, 2]), { align: 1 }));
    expect(parsed.shape).toEqual([2, 1]);
    expect(Array.from(parsed.data)).toEqual([1, 2]);
  });

  test('input that is a view with an odd offset parses correctly', () => {
    const inner = buildNpy(dictFor('<f4', '(2,)'), f4([1, 2]));
    const outer = new Uint8Array(inner.length + 1);
    outer.set(inner, 1);
    expect(Array.from(parseNpy(outer.subarray(1)).data)).toEqual([1, 2]);
  });
});

describe('parseNpy errors', () => {
  const good = () => buildNpy(dictFor('<f4', '(2,)'), f4([1, 2]));

  test('errors are ResNetError with the npy prefix', () => {
    let caught: unknown;
    try {
      parseNpy(new Uint8Array(4));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ResNetError);
    expect((caught as Error).message).toMatch(/^npy: /);
  });

  test('bad magic', () => {
    const zip = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0);
    expect(() => parseNpy(zip)).toThrow(/npy: bad magic bytes \[50 4b 03 04 00 00\]; expected \[93 4e 55 4d 50 59\]/);
  });

  test('truncated header', () => {
    expect(() => parseNpy(good().subarray(0, 9))).toThrow(/npy: file is 9 bytes, too short for the 10-byte preamble of format 1\.0/);
    expect(() => parseNpy(good().subarray(0, 40))).toThrow(/npy: truncated header: it declares 118 bytes but only 30 follow/);
  });

  test('unsupported version', () => {
    const bytes = good();
    bytes[6] = 4;
    expect(() => parseNpy(bytes)).toThrow(/npy: unsupported format version 4\.0; expected 1\.0, 2\.0 or 3\.0/);
  });

  test('unparseable header', () => {
    expect(() => parseNpy(buildNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,`, f4([1, 2])))).toThrow(
      /npy: cannot parse header .* as a Python dict literal: unexpected end/,
    );
    expect(() => parseNpy(buildNpy(`{'descr': <f4}`, f4([1, 2])))).toThrow(/npy: cannot parse header .*: unexpected "<" at position 10/);
    expect(() => parseNpy(buildNpy(`(1, 2)`, f4([1, 2])))).toThrow(/npy: header "\(1, 2\)" is not a dict/);
  });

  test('missing keys and invalid values', () => {
    expect(() => parseNpy(buildNpy(`{'descr': '<f4', 'shape': (2,), }`, f4([1, 2])))).toThrow(
      /npy: header .* is missing 'fortran_order'; expected 'descr', 'fortran_order' and 'shape'/,
    );
    expect(() => parseNpy(buildNpy(dictFor('<f4', '(2, -1)'), f4([1, 2])))).toThrow(
      /npy: 'shape' is \(2, -1\), expected a tuple of non-negative integers/,
    );
    // "(2)" is the integer 2 in Python, not a tuple.
    expect(() => parseNpy(buildNpy(dictFor('<f4', '(2)'), f4([1, 2])))).toThrow(/npy: 'shape' is 2, expected a tuple/);
    expect(() => parseNpy(buildNpy(`{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }`, f4([1, 2])))).toThrow(
      /npy: 'fortran_order' is 0, expected True or False/,
    );
  });

  test('data length ≠ product(shape) × itemsize', () => {
    expect(() => parseNpy(buildNpy(dictFor('<f4', '(2, 3)'), f4([1, 2, 3, 4, 5])))).toThrow(
      /npy: shape \(2, 3\) of '<f4' needs 24 bytes of data but the file has 20 after the header/,
    );
    expect(() => parseNpy(buildNpy(dictFor('<f8', '(1,)'), f8([1, 2])))).toThrow(
      /npy: shape \(1,\) of '<f8' needs 8 bytes of data but the file has 16/,
    );
  });

  test('unsupported dtype names it and lists the supported ones', () => {
    expect(() => parseNpy(buildNpy(dictFor('<c8', '(1,)'), new Uint8Array(8)))).toThrow(
      /npy: unsupported dtype '<c8'; supported: <f2, <f4, <f8, .*\|i1, \|u1, \|b1/,
    );
    expect(() => parseNpy(buildNpy(dictFor('<U5', '(1,)'), new Uint8Array(20)))).toThrow(/npy: unsupported dtype '<U5'/);
    expect(() => parseNpy(buildNpy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(4)))).toThrow(
      /npy: unsupported dtype \[\('a', '<f4',?\)\] \(structured/,
    );
    expect(() => parseNpy(buildNpy(dictFor('|f4', '(1,)'), f4([1])))).toThrow(
      /npy: dtype '\|f4' has no byte order; expected '<f4' \(little-endian\) or '>f4' \(big-endian\)/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Interoperability with real numpy, when /usr/bin/python3 has it.

const PYTHON = '/usr/bin/python3';
const numpySkipReason = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} with numpy is not available`;
  }
})();

const WRITE_SCRIPT = `
import sys, numpy as np
d = sys.argv[1]
np.save(d + '/f4.npy', (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3))
np.save(d + '/f8.npy', np.array([0.1, -2.5, 1e10], dtype=np.float64))
np.save(d + '/i8.npy', np.array([-3, 0, 2**40], dtype=np.int64))
np.save(d + '/one_d.npy', np.arange(7, dtype=np.float32))
np.save(d + '/zero_d.npy', np.float32(3.25))
np.save(d + '/nhwc.npy', np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3) / 10)
np.save(d + '/big_endian.npy', np.array([1.5, -4], dtype='>f4'))
np.save(d + '/fortran.npy', np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)))
`;

const READ_SCRIPT = `
import sys, json, numpy as np
out = {}
for name in sys.argv[2:]:
    a = np.load(sys.argv[1] + '/' + name + '.npy')
    out[name] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'values': a.ravel().astype(float).tolist()}
print(json.dumps(out))
`;

describe('numpy interoperability', () => {
  test.skipIf(numpySkipReason !== undefined)(
    `parses files written by numpy and numpy loads files written by serializeNpy${numpySkipReason ? ` (skipped: ${numpySkipReason})` : ''}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'resnet-npy-'));
      try {
        execFileSync(PYTHON, ['-c', WRITE_SCRIPT, dir]);
        const load = (name: string) => parseNpy(new Uint8Array(readFileSync(join(dir, `${name}.npy`))));

        const a = load('f4');
        expect([a.dtype, a.shape]).toEqual(['<f4', [2, 3]]);
        expect(Array.from(a.data)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);

        const b = load('f8');
        expect([b.dtype, b.shape]).toEqual(['<f8', [3]]);
        expect(Array.from(b.data)).toEqual([Math.fround(0.1), -2.5, 1e10].map(Math.fround));

        const c = load('i8');
        expect([c.dtype, c.shape]).toEqual(['<i8', [3]]);
        expect(Array.from(c.data)).toEqual([-3, 0, 2 ** 40]);

        const d = load('one_d');
        expect(d.shape).toEqual([7]);
        expect(Array.from(d.data)).toEqual([0, 1, 2, 3, 4, 5, 6]);

        const e = load('zero_d');
        expect(e.shape).toEqual([]);
        expect(Array.from(e.data)).toEqual([3.25]);

        const f = load('nhwc');
        expect(f.shape).toEqual([2, 4, 4, 3]);
        expect(Array.from(f.data)).toEqual(Array.from({ length: 96 }, (_, i) => Math.fround(i / 10)));

        const g = load('big_endian');
        expect([g.dtype, Array.from(g.data)]).toEqual(['>f4', [1.5, -4]]);

        const h = load('fortran');
        expect(h.shape).toEqual([3, 4]);
        expect(Array.from(h.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

        // The other direction: numpy must load what serializeNpy writes.
        const written = {
          w_2d: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) },
          w_1d: { shape: [3], data: Float32Array.of(-1, 0.25, 1e-7) },
          w_0d: { shape: [], data: Float32Array.of(42) },
          w_4d: { shape: [1, 2, 2, 3], data: Float32Array.from({ length: 12 }, (_, i) => i - 6) },
        };
        for (const [name, { shape, data }] of Object.entries(written)) {
          writeFileSync(join(dir, `${name}.npy`), serializeNpy(shape, data));
        }
        const output = execFileSync(PYTHON, ['-c', READ_SCRIPT, dir, ...Object.keys(written)], { encoding: 'utf8' });
        const loaded = JSON.parse(output) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
        for (const [name, { shape, data }] of Object.entries(written)) {
          expect(loaded[name]).toEqual({ dtype: '<f4', shape, values: Array.from(data) });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
