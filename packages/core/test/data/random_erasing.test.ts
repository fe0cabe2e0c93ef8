// Random erasing (data/augment/random_erasing.ts): the rectangles it draws (inside the image, their
// area and aspect in range, half the images touched at p = 0.5), what it writes, where the data sets
// apply it (training batches with an rng only; clothing by default, digits not) and clear errors.
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  ArrayDataset,
  MNIST_FILES,
  MNIST_SETS,
  RANDOM_ERASING,
  checkRandomErasing,
  drawErasing,
  eraseRect,
  mnistDatasets,
  type MnistFiles,
} from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';
import { idxFile } from '../helpers/idx.js';

describe('the rectangles', () => {
  test('at p = 0.5 about half the images get one, strictly inside, with area 2–40% and aspect 0.3–3.3', () => {
    const rng = new Rng(7);
    const n = 20_000;
    let erased = 0;
    let areaSum = 0;
    let tall = 0;
    for (let i = 0; i < n; i++) {
      const r = drawErasing(rng, 28, 28, RANDOM_ERASING);
      if (!r) continue;
      erased++;
      expect(r.top).toBeGreaterThanOrEqual(0);
      expect(r.left).toBeGreaterThanOrEqual(0);
      expect(r.top + r.height).toBeLessThanOrEqual(28);
      expect(r.left + r.width).toBeLessThanOrEqual(28);
      expect(Math.max(r.height, r.width)).toBeLessThan(28);
      // Rounding each side to a whole pixel moves the area and the aspect a little past the drawn range.
      const area = (r.height * r.width) / 784;
      expect(area).toBeGreaterThan(0.02 * 0.5);
      expect(area).toBeLessThan(0.4 * 1.2);
      expect(r.height / r.width).toBeGreaterThan(0.3 * 0.6);
      expect(r.height / r.width).toBeLessThan((1 / 0.3) * 1.7);
      areaSum += area;
      if (r.height > r.width) tall++;
    }
    // Binomial: the standard deviation of the fraction is 0.0035; a few draws find no fit in 10 tries.
    expect(erased / n).toBeGreaterThan(0.48);
    expect(erased / n).toBeLessThan(0.515);
    // torchvision's RandomErasing.get_params, 20,000 draws with Debian's torchvision 0.14: mean area
    // 0.2034 and 48.1% tall rectangles. Ours: 0.2038 and 47.7% (seed 7).
    expect(areaSum / erased).toBeGreaterThan(0.195);
    expect(areaSum / erased).toBeLessThan(0.212);
    expect(tall / erased).toBeGreaterThan(0.46);
    expect(tall / erased).toBeLessThan(0.5);
  });

  test('p = 0 never erases, p = 1 always does; the same seed draws the same rectangles', () => {
    const never = { ...RANDOM_ERASING, probability: 0 };
    const always = { ...RANDOM_ERASING, probability: 1 };
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) expect(drawErasing(rng, 28, 28, never)).toBeUndefined();
    const draws = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 50 }, () => drawErasing(r, 28, 28, always));
    };
    expect(draws(3).every((r) => r !== undefined)).toBe(true);
    expect(draws(3)).toEqual(draws(3));
    expect(draws(3)).not.toEqual(draws(4));
  });

  test('an image too small for any rectangle is left whole', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 100; i++) expect(drawErasing(rng, 1, 1, { ...RANDOM_ERASING, probability: 1 })).toBeUndefined();
  });

  test('eraseRect zeroes the rectangle in every channel and nothing else', () => {
    const [h, w, c] = [5, 6, 3];
    const image = new Float32Array(h * w * c).fill(0.5);
    eraseRect(image, w, c, { top: 1, left: 2, height: 3, width: 2 });
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const inside = y >= 1 && y < 4 && x >= 2 && x < 4;
          expect(image[(y * w + x) * c + k]).toBe(inside ? 0 : 0.5);
        }
  });

  test('bad settings are refused, naming the field and the value', () => {
    expect(() => checkRandomErasing('d', { ...RANDOM_ERASING, probability: 1.5 })).toThrow(/erase\.probability.*1\.5/);
    expect(() => checkRandomErasing('d', { ...RANDOM_ERASING, area: [0.5, 0.1] })).toThrow(
      'd: erase.area must have min ≤ max ≤ 1, got [0.5, 0.1]',
    );
    expect(() => checkRandomErasing('d', { ...RANDOM_ERASING, area: [0.1, 2] })).toThrow('got [0.1, 2]');
    expect(() => checkRandomErasing('d', { ...RANDOM_ERASING, aspect: [0, 1] as [number, number] })).toThrow(
      'd: erase.aspect must be [min, max] of two positive numbers, got [0,1]',
    );
    const images = new Uint8Array(4 * 4 * 2);
    expect(
      () =>
        new ArrayDataset('tiny', { images, labels: Int32Array.of(0, 1), count: 2, height: 4, width: 4, channels: 1 }, ['a', 'b'], {
          erase: { ...RANDOM_ERASING, probability: -1 },
        }),
    ).toThrow(/tiny: erase\.probability/);
  });
});

describe('in the data sets', () => {
  // Pixels 1…255 and no mean: every value is above 0, so a 0 can only be an erased pixel.
  const count = 40;
  const images = Uint8Array.from({ length: count * 28 * 28 }, (_, i) => 1 + (i % 255));
  const data = { images, labels: Int32Array.from({ length: count }, (_, i) => i % 2), count, height: 28, width: 28, channels: 1 };
  const zeros = (a: Float32Array): number => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

  test('training batches (with an rng) are erased, with the same rectangles from the same rng; evaluation batches never', async () => {
    const ds = new ArrayDataset('d', data, ['a', 'b'], { erase: { ...RANDOM_ERASING, probability: 1 } });
    const all = Int32Array.from({ length: count }, (_, i) => i);
    const a = await ds.batch(all, new Rng(5));
    const b = await ds.batch(all, new Rng(5));
    expect(a.images).toEqual(b.images);
    for (let k = 0; k < count; k++) expect(zeros(a.images.subarray(k * 784, (k + 1) * 784))).toBeGreaterThan(0);
    expect(zeros((await ds.batch(all)).images)).toBe(0);
    // with() keeps it, and can turn it off.
    expect(zeros((await ds.with({}).batch(all, new Rng(5))).images)).toBeGreaterThan(0);
    expect(zeros((await ds.with({ erase: undefined }).batch(all, new Rng(5))).images)).toBe(0);
  });

  function mnistFiles(): MnistFiles {
    const labels = Uint8Array.from({ length: 30 }, (_, i) => i % 10);
    const pixels = Uint8Array.from({ length: 30 * 784 }, (_, i) => (i * 7) % 256);
    const z = (b: Uint8Array) => new Uint8Array(gzipSync(b));
    const images = z(idxFile([30, 28, 28], pixels));
    const l = z(idxFile([30], labels));
    return {
      trainImages: { name: MNIST_FILES.trainImages, bytes: images },
      trainLabels: { name: MNIST_FILES.trainLabels, bytes: l },
      testImages: { name: MNIST_FILES.testImages, bytes: images },
      testLabels: { name: MNIST_FILES.testLabels, bytes: l },
    };
  }

  test('the MNIST sets: clothing is erased by default and digits are not; the held-out split never is', async () => {
    expect(MNIST_SETS['fashion-mnist'].augmentation).toEqual({ flip: true, erase: RANDOM_ERASING });
    expect(MNIST_SETS.mnist.augmentation).toEqual({ flip: false });
    const all = Int32Array.from({ length: 20 }, (_, i) => i);
    const batch = async (kind: 'mnist' | 'fashion-mnist', options = {}) =>
      (await (await mnistDatasets(kind, mnistFiles(), { valSize: 10, ...options })).train.batch(all.subarray(0, 20), new Rng(9))).images;
    // Erasing draws from the rng, so it changes the batch; turning it off gives the batch of no erasing.
    expect(await batch('fashion-mnist')).not.toEqual(await batch('fashion-mnist', { erase: undefined }));
    expect(await batch('fashion-mnist', { erase: undefined, flip: false })).toEqual(await batch('mnist'));
    expect(await batch('mnist')).not.toEqual(await batch('mnist', { erase: RANDOM_ERASING }));
    const d = await mnistDatasets('fashion-mnist', mnistFiles(), { valSize: 10, erase: { ...RANDOM_ERASING, probability: 1 } });
    const val = await d.val!.batch(
      Int32Array.from({ length: 10 }, (_, i) => i),
      new Rng(9),
    );
    const plain = await d.val!.batch(Int32Array.from({ length: 10 }, (_, i) => i));
    expect(val.images).toEqual(plain.images);
  });
});
