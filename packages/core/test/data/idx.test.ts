// The IDX files of the MNIST family, made here in the real format (big-endian header, gzip as
// distributed): parsing, the data sets (one channel, 28×28, per-pixel mean, val split), and clear
// errors for a wrong magic number, a truncated file and images and labels that disagree in count.
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { MNIST_FILES, MNIST_SETS, mnistDatasets, parseIdx, parseMnistPair, readIdx, type MnistFiles } from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';
import { idxFile } from '../helpers/idx.js';

const idx = idxFile;

/** `count` 28×28 images whose brightness says their class, and their labels. */
function pair(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) for (let p = 0; p < 784; p++) images[i * 784 + p] = labels[i]! * 20 + rng.int(30);
  return { images: idx([count, 28, 28], images), labels: idx([count], labels) };
}

function files(trainCount: number, testCount: number, gzip = true): MnistFiles {
  const train = pair(trainCount, 1);
  const test = pair(testCount, 2);
  const z = (b: Uint8Array): Uint8Array => (gzip ? new Uint8Array(gzipSync(b)) : b);
  return {
    trainImages: { name: MNIST_FILES.trainImages, bytes: z(train.images) },
    trainLabels: { name: MNIST_FILES.trainLabels, bytes: z(train.labels) },
    testImages: { name: MNIST_FILES.testImages, bytes: z(test.images) },
    testLabels: { name: MNIST_FILES.testLabels, bytes: z(test.labels) },
  };
}

describe('IDX', () => {
  test('a header and its values, raw or gzip', async () => {
    const raw = idx([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(parseIdx(raw, 'a', 2)).toEqual({ shape: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    expect(await readIdx(new Uint8Array(gzipSync(raw)), 'a.gz', 2)).toEqual({ shape: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
  });

  test('a wrong magic number, another type, a truncated file and bytes after the end are refused by name', async () => {
    const good = idx([3, 28, 28], new Uint8Array(3 * 784));
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(() => parseIdx(png, 'x.idx3-ubyte', 3)).toThrow(
      'idx: x.idx3-ubyte is not an IDX file: its magic number is 89 50 4e 47, expected 00 00 08 03 for an images file (idx3-ubyte)',
    );
    expect(() => parseIdx(idx([3], Uint8Array.of(1, 2, 3)), 'labels', 3)).toThrow(
      /holds 1-dimensional unsigned byte values \(magic 00 00 08 01\), expected an images file/,
    );
    const floats = good.slice();
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, 'f', 3)).toThrow(/holds 3-dimensional float values/);
    expect(() => parseIdx(good.subarray(0, good.length - 100), 'cut', 3)).toThrow(
      'idx: cut has 2252 bytes of data, expected 3×28×28 = 2352 from its header (truncated)',
    );
    expect(() => parseIdx(Uint8Array.of(...good, 7), 'long', 3)).toThrow(/bytes after the end/);
    expect(() => parseIdx(good.subarray(0, 10), 'tiny', 3)).toThrow(/tiny has 10 bytes, too short for an images file/);
    const cutGzip = new Uint8Array(gzipSync(good)).subarray(0, 40);
    await expect(readIdx(cutGzip, 'cut.gz', 3)).rejects.toThrow(/cut\.gz/);
  });

  test('images and labels that disagree in count, or a label above 9, are refused', async () => {
    const a = pair(5, 1);
    const b = pair(4, 1);
    await expect(parseMnistPair({ name: 'i', bytes: a.images }, { name: 'l', bytes: b.labels })).rejects.toThrow(
      'idx: i has 5 images but l has 4 labels; they must be a pair',
    );
    await expect(
      parseMnistPair({ name: 'i', bytes: a.images }, { name: 'l', bytes: idx([5], Uint8Array.of(0, 1, 2, 10, 3)) }),
    ).rejects.toThrow('idx: l: label 3 is 10, expected 0…9');
  });
});

describe('the MNIST data sets', () => {
  test('one 28×28 channel, the training mean, the class names; a held-out split without augmentation', async () => {
    const d = await mnistDatasets('fashion-mnist', files(60, 20));
    expect(d.train.imageShape).toEqual([28, 28, 1]);
    expect([d.train.size, d.test.size]).toEqual([60, 20]);
    expect(d.classNames).toEqual(MNIST_SETS['fashion-mnist'].classNames);
    expect(d.classNames[9]).toBe('Ankle boot');
    expect(d.mean).toHaveLength(784);
    const batch = await d.test.batch(Int32Array.of(0, 13));
    expect([batch.channels, batch.labels[1]]).toEqual([1, 3]);
    const split = await mnistDatasets('mnist', files(60, 20, false), { valSize: 10 });
    expect([split.train.size, split.val!.size]).toEqual([50, 10]);
    expect(split.classNames[0]).toBe('0');
    await expect(mnistDatasets('mnist', files(60, 20), { valSize: 60 })).rejects.toThrow(/valSize must be an integer in \[0, 60\)/);
  });
});
