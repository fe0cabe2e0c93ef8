/**
 * Data sets held in memory as 8-bit images (CIFAR-10, the synthetic set): a whole epoch of CIFAR is
 * 150 MB as uint8, so it stays in memory and batches are cut from it. Normalisation is a plain loop
 * over typed arrays; the paper's CIFAR augmentation (Sec. 4.2: pad 4, random 32×32 crop, horizontal
 * flip) is data/augment/cifar.ts.
 */
import { integer } from '../checks.js';
import { ResNetError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { drawPaddedCrop, paddedCrop } from './augment/cifar.js';
import { checkRandomErasing, drawErasing, eraseRect, type RandomErasing } from './augment/random_erasing.js';
import type { Dataset, ImageBatch } from './types.js';

/** Images as stored: `count` images of height × width × channels bytes, NHWC. */
export interface ImageArray {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface ArrayDatasetOptions {
  /** Multiplies the bytes before the mean is subtracted. Default 1/255 (pixels in [0, 1]). */
  readonly scale?: number;
  /** Per-pixel mean (height·width·channels values, after `scale`) subtracted from every image (Sec. 3.4, 4.2). */
  readonly mean?: Float32Array;
  /** Training augmentation, applied only when batch() gets an rng: zero-pad (after mean subtraction) and random-crop back. Default 0. */
  readonly pad?: number;
  /** Training augmentation: random horizontal flip. Default false. */
  readonly flip?: boolean;
  /** Training augmentation after the crop: random erasing (augment/random_erasing.ts). Default none. */
  readonly erase?: RandomErasing | undefined;
}

export function checkImageArray(data: ImageArray, what: string): void {
  const { count, height, width, channels } = data;
  for (const [k, v] of Object.entries({ count, height, width, channels })) {
    integer(what, k, v, { min: k === 'count' ? 0 : 1 });
  }
  if (data.images.length !== count * height * width * channels) {
    throw new ResNetError(
      `${what}: expected ${count}×${height}×${width}×${channels} = ${count * height * width * channels} bytes of images, got ${data.images.length}`,
    );
  }
  if (data.labels.length !== count) throw new ResNetError(`${what}: expected ${count} labels, got ${data.labels.length}`);
}

/** The per-pixel mean image (H·W·C floats) of the examples at `indices` (all by default), times `scale`. */
export function pixelMean(data: ImageArray, indices?: ArrayLike<number>, scale = 1 / 255): Float32Array {
  const pixels = data.height * data.width * data.channels;
  const sum = new Float64Array(pixels);
  const n = indices ? indices.length : data.count;
  if (n === 0) throw new ResNetError('pixelMean: no images');
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k;
    const base = i * pixels;
    for (let p = 0; p < pixels; p++) sum[p]! += data.images[base + p]!;
  }
  const mean = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) mean[p] = (sum[p]! / n) * scale;
  return mean;
}

export class ArrayDataset implements Dataset {
  readonly imageShape: readonly [number, number, number];
  readonly size: number;
  private readonly scale: number;
  private readonly mean: Float32Array | undefined;
  private readonly pad: number;
  private readonly flip: boolean;
  private readonly erase: RandomErasing | undefined;

  constructor(
    readonly name: string,
    readonly data: ImageArray,
    readonly classNames: readonly string[],
    options: ArrayDatasetOptions = {},
  ) {
    checkImageArray(data, name);
    const { height, width, channels } = data;
    this.imageShape = [height, width, channels];
    this.size = data.count;
    this.scale = options.scale ?? 1 / 255;
    this.pad = options.pad ?? 0;
    this.flip = options.flip ?? false;
    integer(name, 'pad', this.pad, { min: 0 });
    this.erase = options.erase;
    if (this.erase) checkRandomErasing(name, this.erase);
    if (options.mean && options.mean.length !== height * width * channels) {
      throw new ResNetError(
        `${name}: mean must have ${height}×${width}×${channels} = ${height * width * channels} values, got ${options.mean.length}`,
      );
    }
    this.mean = options.mean;
    for (let i = 0; i < data.count; i++) {
      const l = data.labels[i]!;
      if (!(l >= 0 && l < classNames.length))
        throw new ResNetError(`${name}: label ${l} of example ${i} is outside 0…${classNames.length - 1}`);
    }
  }

  /** The same images with other normalisation or augmentation (e.g. the test set with the training mean). */
  with(options: ArrayDatasetOptions, name = this.name): ArrayDataset {
    return new ArrayDataset(name, this.data, this.classNames, {
      scale: this.scale,
      pad: this.pad,
      flip: this.flip,
      erase: this.erase,
      ...(this.mean ? { mean: this.mean } : {}),
      ...options,
    });
  }

  batch(indices: ArrayLike<number>, rng?: Rng): Promise<ImageBatch> {
    return Promise.resolve(this.batchSync(indices, rng));
  }

  batchSync(indices: ArrayLike<number>, rng?: Rng): ImageBatch {
    const { height: h, width: w, channels: c } = this.data;
    const pixels = h * w * c;
    const n = indices.length;
    const images = new Float32Array(n * pixels);
    const labels = new Int32Array(n);
    const idx = Int32Array.from(indices as ArrayLike<number>);
    const normalised = new Float32Array(pixels);
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      if (!(Number.isInteger(i) && i >= 0 && i < this.size))
        throw new ResNetError(`${this.name}: index ${i} is outside 0…${this.size - 1}`);
      labels[k] = this.data.labels[i]!;
      const src = this.data.images.subarray(i * pixels, (i + 1) * pixels);
      for (let p = 0; p < pixels; p++) normalised[p] = src[p]! * this.scale - (this.mean ? this.mean[p]! : 0);
      const out = images.subarray(k * pixels, (k + 1) * pixels);
      // Augmented only when batch() gets an rng, and then after the mean subtraction, so the padding is zero.
      if (rng) {
        paddedCrop(normalised, out, h, w, c, drawPaddedCrop(rng, this.pad, this.flip));
        const rect = this.erase ? drawErasing(rng, h, w, this.erase) : undefined;
        if (rect) eraseRect(out, w, c, rect);
      } else out.set(normalised);
    }
    return { images, labels, size: n, views: 1, height: h, width: w, channels: c, indices: idx };
  }
}

/** A view of some examples of another data set (the 45k/5k split), renumbered 0 … n−1. */
export class SubsetDataset implements Dataset {
  readonly size: number;
  readonly classNames: readonly string[];
  readonly imageShape: readonly [number, number, number];

  constructor(
    readonly name: string,
    readonly parent: Dataset,
    readonly indices: Int32Array,
  ) {
    for (const i of indices)
      if (!(i >= 0 && i < parent.size)) throw new ResNetError(`${name}: index ${i} is outside ${parent.name} (0…${parent.size - 1})`);
    this.size = indices.length;
    this.classNames = parent.classNames;
    this.imageShape = parent.imageShape;
  }

  async batch(indices: ArrayLike<number>, rng?: Rng): Promise<ImageBatch> {
    const mapped = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!(Number.isInteger(i) && i >= 0 && i < this.size))
        throw new ResNetError(`${this.name}: index ${i} is outside 0…${this.size - 1}`);
      mapped[k] = this.indices[i]!;
    }
    const b = await this.parent.batch(mapped, rng);
    return { ...b, indices: Int32Array.from(indices as ArrayLike<number>) };
  }
}

/**
 * A reproducible split of 0 … n−1 into a training part and `valSize` held-out examples (the paper's
 * 45k/5k CIFAR split, Sec. 4.2): the same seed always gives the same split, both parts sorted.
 */
export function splitIndices(n: number, valSize: number, seed = 0): { train: Int32Array; val: Int32Array } {
  integer('split', 'valSize', valSize, { min: 0, max: n, exclusive: 'max' });
  const perm = Rng.derive(seed, 'split', n, valSize).permutation(n);
  const val = perm.slice(0, valSize).sort();
  const train = perm.slice(valSize).sort();
  return { train, val };
}
