// CIFAR-10 from bytes: the binary batch format, tar and gzip readers, and the paper's data sets.
// Every file here is written by the test in the real formats (batch records by hand, archives by
// the system's GNU tar and node:zlib), then read back through the library.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR10_FILES,
  CIFAR10_MD5,
  CIFAR10_RECORD_BYTES,
  CIFAR10_SIZE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  CIFAR10_URL,
  cifar10Datasets,
  cifar10FromTarGz,
  gunzip,
  parseCifar10Batch,
  parseCifar10Batches,
  readTar,
  type Cifar10Files,
} from '../../src/data/cifar10/index.js';
import { ResNetError } from '../../src/errors.js';
import { Rng } from '../../src/random/rng.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A known byte for channel c at (y, x) of image `id` (ids are unique across files). */
const pixel = (id: number, c: number, y: number, x: number) => (id * 37 + c * 85 + y * 7 + x * 3) & 0xff;

/** A batch file in the official layout: label byte, then the R, G and B planes, rows top to bottom. */
function batchFile(ids: number[], labels: number[]): Uint8Array {
  const out = new Uint8Array(ids.length * CIFAR10_RECORD_BYTES);
  ids.forEach((id, r) => {
    const at = r * CIFAR10_RECORD_BYTES;
    out[at] = labels[r]!;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + 1 + c * 1024 + y * 32 + x] = pixel(id, c, y, x);
  });
  return out;
}

const PER_TRAIN_FILE = 4;
const TEST_COUNT = 3;
/** Train image k (0 … 19) has id k and label k mod 10; test image j has id 100 + j, label 9 − j. */
function smallCifar(): Cifar10Files {
  const files: Record<string, Uint8Array> = {};
  CIFAR10_TRAIN_FILES.forEach((name, f) => {
    const ids = Array.from({ length: PER_TRAIN_FILE }, (_, r) => f * PER_TRAIN_FILE + r);
    files[name] = batchFile(
      ids,
      ids.map((id) => id % 10),
    );
  });
  files[CIFAR10_TEST_FILE] = batchFile([100, 101, 102], [9, 8, 7]);
  return files;
}

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'resnet-cifar10-'));
  temps.push(dir);
  return dir;
}

/** Writes `files` under dir/<folder>/ and archives them with GNU tar. */
function systemTar(files: Record<string, Uint8Array | string>, args: string[], folder = 'cifar-10-batches-bin'): Uint8Array {
  const dir = tempDir();
  mkdirSync(join(dir, folder), { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, folder, name), data);
  execFileSync('tar', [...args, '-f', join(dir, 'out'), '-C', dir, folder.split('/')[0]!]);
  return new Uint8Array(readFileSync(join(dir, 'out')));
}

/** Catches the error `f` throws or rejects with. */
async function errorOf(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Byte-for-byte equality of large arrays (toEqual walks them element by element, slowly). */
function expectSameBytes(a: ArrayBufferView, b: ArrayBufferView): void {
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  expect(a.byteLength).toBe(b.byteLength);
  expect(bytes(a).equals(bytes(b))).toBe(true);
}

async function expectError(f: () => unknown, ...parts: (string | RegExp)[]): Promise<void> {
  const error = await errorOf(f);
  expect(error).toBeInstanceOf(ResNetError);
  for (const part of parts) expect(error.message).toMatch(part);
}

// ---------------------------------------------------------------------------------------------

describe('constants', () => {
  test('the official address, checksum, size and class names', () => {
    expect(CIFAR10_URL).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(CIFAR10_MD5).toBe('c32a1d4ab5d03f1284b67883e8d87530');
    expect(CIFAR10_SIZE).toBe(170052171);
    expect(CIFAR10_CLASS_NAMES).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(CIFAR10_RECORD_BYTES).toBe(3073);
    expect(CIFAR10_FILES).toEqual([
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
      'test_batch.bin',
    ]);
  });
});

describe('binary batches', () => {
  test('20 records decode to NHWC uint8 with their labels', () => {
    const ids = Array.from({ length: 20 }, (_, i) => i);
    const labels = ids.map((i) => (i * 3) % 10);
    const data = parseCifar10Batch(batchFile(ids, labels), 'data_batch_1.bin');
    expect([data.count, data.height, data.width, data.channels]).toEqual([20, 32, 32, 3]);
    expect(Array.from(data.labels)).toEqual(labels);
    expect(data.images.length).toBe(20 * 3072);
    for (const i of ids) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          for (let c = 0; c < 3; c++) {
            const got = data.images[((i * 32 + y) * 32 + x) * 3 + c];
            if (got !== pixel(i, c, y, x)) expect({ i, y, x, c, got }).toEqual({ i, y, x, c, got: pixel(i, c, y, x) });
          }
        }
      }
    }
  });

  test('planes R, G, B become the channels of each pixel', () => {
    const record = new Uint8Array(3073);
    record[0] = 6;
    record.fill(10, 1, 1025); // red plane
    record.fill(20, 1025, 2049); // green
    record.fill(30, 2049, 3073); // blue
    record[1 + 1024 + 33] = 99; // green at (y 1, x 1)
    const data = parseCifar10Batch(record);
    expect(Array.from(data.images.subarray(0, 6))).toEqual([10, 20, 30, 10, 20, 30]);
    expect(Array.from(data.images.subarray(33 * 3, 34 * 3))).toEqual([10, 99, 30]);
    expect(data.labels[0]).toBe(6);
  });

  test('several files decode in order into one array', () => {
    const data = parseCifar10Batches([
      { name: 'a', bytes: batchFile([5, 6], [1, 2]) },
      { name: 'b', bytes: batchFile([7], [3]) },
    ]);
    expect(data.count).toBe(3);
    expect(Array.from(data.labels)).toEqual([1, 2, 3]);
    expect(data.images[2 * 3072 + 3 * 5 + 1]).toBe(pixel(7, 1, 0, 5));
  });

  test('an empty file, a truncated file, a wrong length and a bad label are refused, naming the file', async () => {
    await expectError(
      () => parseCifar10Batch(new Uint8Array(0), 'data_batch_2.bin'),
      'cifar10: data_batch_2.bin is empty',
      'records of 3073 bytes',
    );
    const good = batchFile([1, 2, 3], [0, 1, 2]);
    await expectError(
      () => parseCifar10Batch(good.subarray(0, good.length - 1), 'data_batch_2.bin'),
      'cifar10: data_batch_2.bin has 9218 bytes, not a multiple of 3073',
      '2 whole records and 3072 bytes left over: truncated',
    );
    await expectError(
      () => parseCifar10Batch(new Uint8Array(3074 * 2), 'test_batch.bin'),
      'cifar10: test_batch.bin has 6148 bytes, not a multiple of 3073',
    );
    const bad = batchFile([1, 2, 3], [0, 10, 2]);
    await expectError(
      () => parseCifar10Batch(bad, 'data_batch_4.bin'),
      'cifar10: data_batch_4.bin: record 1 (byte 3073) has label 10, expected 0…9',
    );
  });
});

describe('gzip', () => {
  const text = new TextEncoder().encode('residual '.repeat(50_000));

  test('decompresses what node:zlib compressed, one member or several', async () => {
    expectSameBytes(await gunzip(gzipSync(text)), text);
    // Two members: the trailer's size is the last member's only, so the output must grow past it.
    const two = new Uint8Array([...gzipSync(text), ...gzipSync(text.subarray(0, 10))]);
    const out = await gunzip(two);
    expect(out.length).toBe(text.length + 10);
    expect(out.subarray(text.length)).toEqual(text.subarray(0, 10));
  });

  test('truncated, corrupt, empty and non-gzip data give clear errors', async () => {
    const gz = gzipSync(text);
    await expectError(
      () => gunzip(gz.subarray(0, gz.length >> 1), 'x.tar.gz'),
      /^gzip: cannot decompress x\.tar\.gz \(\d+ bytes\): .*truncated or corrupt/,
    );
    const corrupt = Uint8Array.from(gz);
    corrupt[gz.length - 6] = 0xff ^ gz[gz.length - 6]!; // the CRC
    await expectError(() => gunzip(corrupt, 'x.tar.gz'), 'gzip: cannot decompress x.tar.gz', 'truncated or corrupt');
    await expectError(() => gunzip(new Uint8Array(0), 'x.tar.gz'), 'gzip: x.tar.gz is empty');
    await expectError(() => gunzip(text, 'x.tar'), 'gzip: x.tar is not gzip data: expected the magic bytes 1f 8b', 'got 72 65');
  });
});

describe('tar', () => {
  const files = { 'a.bin': new Uint8Array([1, 2, 3]), 'empty.txt': '', 'big.bin': new Uint8Array(1500).map((_, i) => i % 251) };

  test.each([['gnu'], ['ustar'], ['posix'], ['v7']])('reads the regular files of a %s archive', (format) => {
    const tar = systemTar(files, ['-c', `--format=${format}`], 'top/sub');
    const entries = readTar(tar);
    const byName = Object.fromEntries(entries.map((e) => [e.name, e.data]));
    expect(Object.keys(byName).sort()).toEqual(['top/sub/a.bin', 'top/sub/big.bin', 'top/sub/empty.txt']);
    expect(byName['top/sub/a.bin']).toEqual(files['a.bin']);
    expect(byName['top/sub/big.bin']).toEqual(files['big.bin']);
    expect(byName['top/sub/empty.txt']!.length).toBe(0);
  });

  test.each([['gnu'], ['ustar'], ['posix']])('reads names longer than 100 characters (%s)', (format) => {
    const folder = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    const name = `${'f'.repeat(90)}.bin`;
    const entries = readTar(systemTar({ [name]: new Uint8Array([42]) }, ['-c', `--format=${format}`], folder));
    expect(entries.map((e) => e.name)).toEqual([`${folder}/${name}`]);
    expect(Array.from(entries[0]!.data)).toEqual([42]);
  });

  test('truncated, corrupt and non-tar data give clear errors', async () => {
    const tar = systemTar(files, ['-c', '--format=gnu'], 'x');
    // In the middle of big.bin's data, of a header, and right after the last file (no end marker).
    const entries = readTar(tar);
    const big = entries.find((e) => e.name === 'x/big.bin')!;
    const bigAt = big.data.byteOffset - tar.byteOffset;
    await expectError(
      () => readTar(tar.subarray(0, bigAt + 700), 'x.tar'),
      /^tar: x\.tar: "x\/big\.bin" \(header at byte \d+\) has 1500 bytes of data, but the archive ends 700 bytes after its header: truncated$/,
    );
    await expectError(
      () => readTar(tar.subarray(0, 512 + 100), 'x.tar'),
      'tar: x.tar: the archive ends at byte 612, inside the header block at byte 512: truncated',
    );
    const last = entries[entries.length - 1]!;
    const end = last.data.byteOffset - tar.byteOffset + Math.ceil(last.data.length / 512) * 512;
    await expectError(
      () => readTar(tar.subarray(0, end), 'x.tar'),
      `tar: x.tar: the archive ends at byte ${end} without its end marker (a zero block): truncated`,
    );
    const corrupt = Uint8Array.from(tar);
    corrupt[512 + 3] = 1 ^ tar[512 + 3]!; // a name byte of the second header
    await expectError(
      () => readTar(corrupt, 'x.tar'),
      /^tar: x\.tar: the header at byte 512 has checksum \d+, but its bytes sum to \d+: corrupt, or not a tar archive$/,
    );
    await expectError(
      () => readTar(new TextEncoder().encode('not a tar '.repeat(100)), 'y'),
      'tar: y: the checksum field of the header at byte 0 is',
      'expected octal digits',
    );
    await expectError(() => readTar(new Uint8Array(0), 'y'), 'tar: y: the archive is empty');
  });
});

describe('the distributed archive', () => {
  test('cifar10FromTarGz reads the six batches from a tar.gz made by GNU tar', async () => {
    const files = smallCifar();
    const tgz = systemTar({ ...files, 'batches.meta.txt': `${CIFAR10_CLASS_NAMES.join('\n')}\n`, 'readme.html': '<p>' }, ['-cz']);
    const read = await cifar10FromTarGz(tgz);
    expect(Object.keys(read).sort()).toEqual([...CIFAR10_FILES].sort());
    for (const name of CIFAR10_FILES) expectSameBytes(read[name]!, files[name]!);
  });

  test('a missing batch, the Python version, a corrupt gzip and a truncated tar are named', async () => {
    const files: Record<string, Uint8Array> = { ...smallCifar() };
    delete files['data_batch_3.bin'];
    const tgz = systemTar(files, ['-cz']);
    await expectError(
      () => cifar10FromTarGz(tgz),
      'cifar10: cifar-10-binary.tar.gz (holding 5 files, e.g. cifar-10-batches-bin/',
      'has no data_batch_3.bin (expected data_batch_1.bin',
    );
    const python = systemTar({ data_batch_1: 'pickle' }, ['-cz'], 'cifar-10-batches-py');
    await expectError(() => cifar10FromTarGz(python, 'c.tgz'), 'this is the Python version of CIFAR-10');
    const corrupt = Uint8Array.from(tgz);
    corrupt[tgz.length - 8] = 0xff ^ tgz[tgz.length - 8]!; // the CRC
    await expectError(() => cifar10FromTarGz(corrupt, 'c.tgz'), 'gzip: cannot decompress c.tgz', 'truncated or corrupt');
    const tar = systemTar(smallCifar(), ['-c']);
    await expectError(
      () => cifar10FromTarGz(gzipSync(tar.subarray(0, 5000)), 'c.tgz'),
      /^tar: c\.tgz: ".*" \(header at byte \d+\) has \d+ bytes of data, but the archive ends \d+ bytes after its header: truncated$/,
    );
  });
});

describe("the paper's data sets (Sec. 4.2)", () => {
  const files = smallCifar();
  const trainCount = 5 * PER_TRAIN_FILE;

  /** The mean image (NHWC, in [0, 1]) of the training images with these ids, from the pixel formula. */
  function meanOf(ids: ArrayLike<number>): Float32Array {
    const mean = new Float32Array(3072);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = 0; k < ids.length; k++) sum += pixel(ids[k]!, c, y, x);
          mean[(y * 32 + x) * 3 + c] = sum / ids.length / 255;
        }
      }
    }
    return mean;
  }

  function expectClose(a: Float32Array, b: Float32Array): void {
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-6);
  }

  test('50k/10k: sizes, labels, the training mean, and mean-subtracted NHWC test images', async () => {
    const data = cifar10Datasets(files);
    expect(data.train.size).toBe(trainCount);
    expect(data.test.size).toBe(TEST_COUNT);
    expect(data.val).toBeUndefined();
    expect(data.split).toBeUndefined();
    expect(data.train.name).toBe('cifar10/train');
    expect(data.test.name).toBe('cifar10/test');
    expect(data.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(data.train.imageShape).toEqual([32, 32, 3]);
    expectClose(data.mean, meanOf(Array.from({ length: trainCount }, (_, i) => i)));

    const test = await data.test.batch([2, 0]);
    expect(Array.from(test.labels)).toEqual([7, 9]);
    const expected = new Float32Array(2 * 3072);
    [102, 100].forEach((id, k) => {
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) {
            const p = (y * 32 + x) * 3 + c;
            expected[k * 3072 + p] = pixel(id, c, y, x) / 255 - data.mean[p]!;
          }
    });
    expectClose(test.images, expected);
    // The test set is never augmented, even when given an rng.
    expectSameBytes((await data.test.batch([2, 0], new Rng(3))).images, test.images);

    const train = await data.train.batch([13, 4]);
    expect(Array.from(train.labels)).toEqual([3, 4]);
    expect(train.images[3072 + 5 * 3 + 2]).toBeCloseTo(pixel(4, 2, 0, 5) / 255 - data.mean[5 * 3 + 2]!, 6);
  });

  test('training augmentation (pad 4, crop, flip) is deterministic given the same rng', async () => {
    const { train } = cifar10Datasets(files);
    const indices = Array.from({ length: trainCount }, (_, i) => i);
    const a = await train.batch(indices, new Rng(7));
    const b = await train.batch(indices, new Rng(7));
    const plain = await train.batch(indices);
    expectSameBytes(a.images, b.images);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(plain.images.buffer))).toBe(false);
    expect(a.labels).toEqual(plain.labels);
    // With the augmentation switched off, an rng changes nothing.
    const off = cifar10Datasets(files, { pad: 0, flip: false });
    expectSameBytes((await off.train.batch(indices, new Rng(7))).images, plain.images);
  });

  test('a 45k/5k-style split: sizes, disjoint parts, the mean of the training part only, no augmentation on val', async () => {
    const data = cifar10Datasets(files, { valSize: 5, splitSeed: 1 });
    const { split, val } = data;
    expect(data.train.size).toBe(trainCount - 5);
    expect(val?.size).toBe(5);
    expect(val?.name).toBe('cifar10/val');
    expect(data.test.size).toBe(TEST_COUNT);
    expect(split!.train.length + split!.val.length).toBe(trainCount);
    expect(new Set([...split!.train, ...split!.val]).size).toBe(trainCount);
    expectClose(data.mean, meanOf(split!.train));
    expect(Math.abs(data.mean[0]! - meanOf(Array.from({ length: trainCount }, (_, i) => i))[0]!)).toBeGreaterThan(1e-4);

    // Example k of each part is training image split[k]; the same seed gives the same split.
    const v = await val!.batch([0, 4]);
    expect(Array.from(v.labels)).toEqual([split!.val[0]! % 10, split!.val[4]! % 10]);
    expect(v.images[0]).toBeCloseTo(pixel(split!.val[0]!, 0, 0, 0) / 255 - data.mean[0]!, 6);
    expectSameBytes((await val!.batch([0, 4], new Rng(1))).images, v.images);
    const t = await data.train.batch([3]);
    expect(t.labels[0]).toBe(split!.train[3]! % 10);
    expect(cifar10Datasets(files, { valSize: 5, splitSeed: 1 }).split).toEqual(split);
    const a = await data.train.batch([0, 1, 2], new Rng(5));
    expectSameBytes((await cifar10Datasets(files, { valSize: 5, splitSeed: 1 }).train.batch([0, 1, 2], new Rng(5))).images, a.images);
  });

  test('missing files, bad labels and bad options are refused', async () => {
    const missing: Record<string, Uint8Array> = { ...files };
    delete missing['test_batch.bin'];
    delete missing['data_batch_5.bin'];
    await expectError(() => cifar10Datasets(missing), 'cifar10: the files given has no data_batch_5.bin, test_batch.bin');
    await expectError(
      () => cifar10Datasets({ ...files, 'data_batch_3.bin': batchFile([1], [12]) }),
      'cifar10: data_batch_3.bin: record 0 (byte 0) has label 12, expected 0…9',
    );
    await expectError(
      () => cifar10Datasets({ ...files, 'test_batch.bin': new Uint8Array(10) }),
      'cifar10: test_batch.bin has 10 bytes, not a multiple of 3073',
    );
    await expectError(() => cifar10Datasets(files, { valSize: trainCount }), `cifar10: valSize must be an integer in [0, ${trainCount})`);
    await expectError(() => cifar10Datasets(files, { valSize: 1.5 }), 'got 1.5');
    await expectError(() => cifar10Datasets(files, { augment: true } as never), 'cifar10: unknown option augment');
  });
});
