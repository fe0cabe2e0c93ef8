// The seeded stream everything random draws from, and the loader's order: determinism, resumability.
import { expect, test } from 'vitest';
import { ArrayDataset, DataLoader, Rng, pixelMean, splitIndices, type ImageArray } from '../../src/index.js';

test('the same seed gives the same stream; state round-trips; derive gives independent streams', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.uint32());
  expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
  expect(new Rng(43).uint32()).not.toBe(xs[0]);
  const saved = a.state;
  const next = [a.next(), a.normal(), a.int(7)];
  const c = Rng.fromState(saved);
  expect([c.next(), c.normal(), c.int(7)]).toEqual(next);
  expect(Rng.derive(1, 'order', 0).uint32()).not.toBe(Rng.derive(1, 'order', 1).uint32());
  expect(Rng.derive(1, 'order', 0).uint32()).toBe(Rng.derive(1, 'order', 0).uint32());
  expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/not all zero/);
  expect(() => new Rng(1.5)).toThrow(/seed must be an integer, got 1.5/);
});

test('uniform draws fill their range; normal has mean 0 and std 1', () => {
  const r = new Rng(7);
  const n = 20000;
  let sum = 0;
  let sq = 0;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    sum += z;
    sq += z * z;
    counts[r.int(10)]++;
  }
  expect(Math.abs(sum / n)).toBeLessThan(0.03);
  expect(Math.abs(Math.sqrt(sq / n) - 1)).toBeLessThan(0.03);
  for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan((n / 10) * 0.1);
  const p = r.permutation(100);
  expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
});

/** `count` 2×2 grey images whose pixels all equal their index, labelled index % classes. */
function tiny(count: number, classes = 3): ImageArray {
  const images = new Uint8Array(count * 4 * 3);
  for (let i = 0; i < count; i++) images.fill(i, i * 12, (i + 1) * 12);
  return { images, labels: Int32Array.from({ length: count }, (_, i) => i % classes), count, height: 2, width: 2, channels: 3 };
}

const names = ['a', 'b', 'c'];

test('full shuffle: each epoch a permutation of its own, the same for the same seed', () => {
  const ds = new ArrayDataset('tiny', tiny(10), names, { scale: 1 });
  const loader = new DataLoader(ds, { batchSize: 3, seed: 5 });
  expect(loader.batchesPerEpoch).toBe(3); // drop the last incomplete batch
  const e0 = loader.order(0);
  expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(loader.order(1)).not.toEqual(e0);
  expect(new DataLoader(ds, { batchSize: 3, seed: 5 }).order(0)).toEqual(e0);
  expect(new DataLoader(ds, { batchSize: 3, seed: 6 }).order(0)).not.toEqual(e0);
});

test('a shuffle buffer gives a permutation that only moves examples a buffer ahead', () => {
  const ds = new ArrayDataset('tiny', tiny(50), names, { scale: 1 });
  const order = new DataLoader(ds, { batchSize: 5, shuffle: { buffer: 4 } }).order(0);
  expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  // Position k can only hold an example that had been read into the buffer: index ≤ k + 3.
  order.forEach((ex, k) => expect(ex).toBeLessThanOrEqual(k + 3));
  expect(order).not.toEqual(Int32Array.from({ length: 50 }, (_, i) => i));
});

test('a stream started at a position continues exactly as the stream from the start', async () => {
  const ds = new ArrayDataset('tiny', tiny(10), names, { scale: 1, pad: 1, flip: true });
  const loader = new DataLoader(ds, { batchSize: 3, seed: 9 });
  const take = async (
    from: { epoch: number; batch: number },
    n: number,
  ): Promise<{ pos: string; pixels: number[]; labels: number[] }[]> => {
    const out = [];
    const s = loader.stream(from);
    for (let i = 0; i < n; i++) {
      const { value } = await s.next();
      out.push({
        pos: `${value!.position.epoch}.${value!.position.batch}`,
        pixels: [...value!.batch.images],
        labels: [...value!.batch.labels],
      });
    }
    await s.return(undefined);
    return out;
  };
  const all = await take({ epoch: 0, batch: 0 }, 8);
  expect(all.map((b) => b.pos)).toEqual(['0.0', '0.1', '0.2', '1.0', '1.1', '1.2', '2.0', '2.1']);
  expect(await take({ epoch: 1, batch: 1 }, 4)).toEqual(all.slice(4, 8));
  expect(() => loader.stream({ epoch: 0, batch: 3 }).next()).rejects.toThrow(/batch in 0…2/);
});

test('evaluation visits every example once, in order, without augmentation', async () => {
  const ds = new ArrayDataset('tiny', tiny(7), names, { scale: 1, pad: 1, flip: true });
  const seen: number[] = [];
  for await (const b of DataLoader.evaluation(ds, 3)) {
    seen.push(...b.indices);
    for (let k = 0; k < b.size; k++) expect(b.images[k * 12]).toBe(b.indices[k]);
  }
  expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
});

test('pad-and-crop shifts the image and fills with zeros (the mean); flip mirrors', () => {
  // One 3×3 single-channel image with pixels 1…9, mean 0, scale 1.
  const data: ImageArray = {
    images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    labels: Int32Array.from([0]),
    count: 1,
    height: 3,
    width: 3,
    channels: 1,
  };
  const ds = new ArrayDataset('one', data, ['x'], { scale: 1, pad: 1, flip: true });
  const seen = new Set<string>();
  const rng = new Rng(3);
  for (let i = 0; i < 200; i++) seen.add(ds.batchSync([0], rng).images.join(','));
  // 3×3 offsets × 2 flips = 18 distinct views, and among them these three:
  expect(seen.size).toBe(18);
  expect(seen.has('1,2,3,4,5,6,7,8,9')).toBe(true); // no shift, no flip
  expect(seen.has('3,2,1,6,5,4,9,8,7')).toBe(true); // flipped
  expect(seen.has('5,6,0,8,9,0,0,0,0')).toBe(true); // shifted by (+1, +1)
  expect(ds.batchSync([0]).images.join(',')).toBe('1,2,3,4,5,6,7,8,9'); // no rng: no augmentation
});

test('the per-pixel mean, the split, and clear errors', () => {
  const data = tiny(4);
  const mean = pixelMean(data, [1, 3], 1);
  expect(mean.length).toBe(12);
  expect([...mean].every((v) => v === 2)).toBe(true);
  const ds = new ArrayDataset('tiny', data, names, { scale: 1, mean });
  expect(ds.batchSync([3]).images[0]).toBe(1);
  const { train, val } = splitIndices(50000, 5000, 0);
  expect([train.length, val.length]).toEqual([45000, 5000]);
  expect(new Set([...train, ...val]).size).toBe(50000);
  expect(splitIndices(50000, 5000, 0).val).toEqual(val);
  expect(() => new ArrayDataset('bad', { ...data, labels: Int32Array.from([0, 1, 2, 7]) }, names)).toThrow(
    /label 7 of example 3 is outside 0…2/,
  );
  expect(() => new ArrayDataset('bad', { ...data, count: 5 }, names)).toThrow(/expected 5×2×2×3 = 60 bytes of images, got 48/);
  expect(() => ds.batchSync([4])).toThrow(/index 4 is outside 0…3/);
});
