/**
 * An ImageNet-style folder of images (root/<class name>/*.jpg, classes sorted by name) as a Dataset,
 * with the paper's ImageNet recipe (Sec. 3.4) as plain loops over decoded bytes:
 *
 * - training (batch() gets an rng): the augmentation of data/augment/imagenet.ts (shorter side a
 *   random integer in [256, 480], a random 224×224 crop, a random horizontal flip, AlexNet's PCA
 *   lighting), then the per-pixel mean subtracted;
 * - evaluation (no rng), by `view`: `center` (shorter side 256, the centre 224×224), `ten-crop` (the
 *   same image's 4 corners + centre and their mirror images: 10 views per example), or
 *   `{ fullImage: s }` for multi-scale testing (shorter side s, the whole image, fully-convolutional).
 *
 * Full images differ in size from one image to the next, so a full-image data set gives batches of
 * one example (maxBatchSize = 1; batch() refuses more), each batch of its own height × width;
 * `imageShape` is then [s, s, 3], the shorter side only. Evaluate it with batch size 1.
 *
 * Files are read and decoded `concurrency` at a time. Every random number a batch needs is drawn
 * before any decoding, in index order, so a batch depends only on the indices and the rng state.
 */
import { isPositiveInteger, nonNegativeNumber, oneOf, positiveInteger } from '../../checks.js';
import { ResNetError } from '../../errors.js';
import type { Rng } from '../../random/rng.js';
import { drawImageNetAugmentation, randomCrop } from '../augment/imagenet.js';
import { PCA_ALPHA_STD } from '../augment/pca_lighting.js';
import type { Dataset, ImageBatch } from '../types.js';
import { IMAGE_CHANNELS, checkDecoded, type DecodedImage, type ImageDecoder, type ImageResize } from './decoder.js';
import { centerCrop, tenCrop, type CropWindow } from './geometry.js';
import { Normaliser, writeCrop, type NormaliseOptions } from './normalise.js';
import type { FileSource } from './source.js';

/** What batch() gives without an rng. */
export type ImageFolderView = 'center' | 'ten-crop' | { readonly fullImage: number };

export interface ImageFolderOptions extends NormaliseOptions {
  /** Side of the square crops, in training and in the `center` and `ten-crop` views. Default 224. */
  readonly cropSize?: number;
  /** Training scale augmentation: the shorter side is a uniform integer in [lo, hi]. Default [256, 480]. */
  readonly scaleRange?: readonly [number, number];
  /** Shorter side before the `center` and `ten-crop` views cut their crops. Default 256. */
  readonly evalResize?: number;
  /** The evaluation view. Default `center`. */
  readonly view?: ImageFolderView;
  /** Training: random horizontal flip. Default true. */
  readonly flip?: boolean;
  /** Training: standard deviation of the PCA lighting coefficients α; 0 turns the lighting off. Default 0.1 (AlexNet's). */
  readonly lighting?: number;
  /** Files read and decoded at once. Default 4. */
  readonly concurrency?: number;
}

const OPTION_NAMES = ['cropSize', 'scaleRange', 'evalResize', 'view', 'flip', 'lighting', 'concurrency', 'scale', 'mean', 'std'];

export class ImageFolderDataset implements Dataset {
  readonly size: number;
  readonly classNames: readonly string[];
  readonly imageShape: readonly [number, number, number];
  /** Views per example of the evaluation view (10 for `ten-crop`). */
  readonly views: number;
  /** 1 for the full-image view (one image per batch), otherwise none. */
  readonly maxBatchSize: number | undefined;
  readonly cropSize: number;
  readonly scaleRange: readonly [number, number];
  readonly evalResize: number;
  readonly view: ImageFolderView;
  readonly flip: boolean;
  readonly lighting: number;
  readonly concurrency: number;
  readonly normaliser: Normaliser;

  constructor(
    readonly source: FileSource,
    readonly decoder: ImageDecoder,
    readonly options: ImageFolderOptions = {},
    readonly name = `folder:${source.name}`,
  ) {
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.includes(key))
        throw new ResNetError(`${name}: unknown option "${key}" (expected one of ${OPTION_NAMES.join(', ')})`);
    }
    const {
      cropSize = 224,
      scaleRange = [256, 480],
      evalResize = 256,
      view = 'center',
      flip = true,
      lighting = PCA_ALPHA_STD,
      concurrency = 4,
    } = options;
    positiveInteger(name, 'cropSize', cropSize);
    if (
      !(
        Array.isArray(scaleRange) &&
        scaleRange.length === 2 &&
        isPositiveInteger(scaleRange[0]) &&
        isPositiveInteger(scaleRange[1]) &&
        scaleRange[0] <= scaleRange[1]
      )
    ) {
      throw new ResNetError(`${name}: scaleRange must be two integers [lo, hi] with lo ≤ hi, got ${JSON.stringify(scaleRange)}`);
    }
    if (scaleRange[0] < cropSize)
      throw new ResNetError(`${name}: scaleRange [${scaleRange.join(', ')}] must not go below cropSize ${cropSize}`);
    if (!(isPositiveInteger(evalResize) && evalResize >= cropSize))
      throw new ResNetError(`${name}: evalResize must be an integer ≥ cropSize ${cropSize}, got ${evalResize}`);
    if (!(view === 'center' || view === 'ten-crop' || (typeof view === 'object' && view !== null && isPositiveInteger(view.fullImage)))) {
      throw new ResNetError(`${name}: view must be "center", "ten-crop" or { fullImage: <shorter side> }, got ${JSON.stringify(view)}`);
    }
    oneOf(name, 'flip', flip, [true, false]);
    nonNegativeNumber(name, 'lighting', lighting);
    positiveInteger(name, 'concurrency', concurrency);
    const { classNames, files } = source;
    if (files.length === 0) throw new ResNetError(`${name}: no images`);
    for (const f of files) {
      if (!(Number.isInteger(f.label) && f.label >= 0 && f.label < classNames.length)) {
        throw new ResNetError(`${name}: label ${f.label} of ${f.path} is outside 0…${classNames.length - 1}`);
      }
    }
    this.size = files.length;
    this.classNames = classNames;
    this.cropSize = cropSize;
    this.scaleRange = [scaleRange[0], scaleRange[1]];
    this.evalResize = evalResize;
    this.view = view;
    this.flip = flip;
    this.lighting = lighting;
    this.concurrency = concurrency;
    this.normaliser = new Normaliser(options, cropSize, cropSize, name);
    const side = typeof view === 'object' ? view.fullImage : cropSize;
    this.imageShape = [side, side, IMAGE_CHANNELS];
    this.views = view === 'ten-crop' ? 10 : 1;
    this.maxBatchSize = typeof view === 'object' ? 1 : undefined;
  }

  /** The same files with other options (e.g. another view or scale, or the training mean on the validation set). */
  with(options: ImageFolderOptions, name = this.name): ImageFolderDataset {
    return new ImageFolderDataset(this.source, this.decoder, { ...this.options, ...options }, name);
  }

  /** The path and label of example `index`. */
  file(index: number): { readonly path: string; readonly label: number } {
    this.checkIndex(index);
    return this.source.files[index]!;
  }

  async batch(indices: ArrayLike<number>, rng?: Rng): Promise<ImageBatch> {
    const idx = Int32Array.from(indices as ArrayLike<number>);
    for (let k = 0; k < idx.length; k++) {
      if (idx[k] !== indices[k]) throw new ResNetError(`${this.name}: index ${indices[k]} is outside 0…${this.size - 1}`);
      this.checkIndex(idx[k]!);
    }
    const labels = Int32Array.from(idx, (i) => this.source.files[i]!.label);
    if (rng) return this.trainBatch(idx, labels, rng);
    if (typeof this.view === 'object') return this.fullImageBatch(idx, labels, this.view.fullImage);
    const crop = this.cropSize;
    const views = this.views;
    const pixels = crop * crop * IMAGE_CHANNELS;
    const images = new Float32Array(idx.length * views * pixels);
    const noLighting = new Float64Array(IMAGE_CHANNELS);
    await this.forEach(idx.length, async (k) => {
      const path = this.source.files[idx[k]!]!.path;
      const image = await this.load(path, { shorterSide: this.evalResize });
      const windows = this.view === 'ten-crop' ? tenCrop(image.height, image.width, crop) : [centerCrop(image.height, image.width, crop)];
      windows.forEach((win, v) => this.write(image, win, crop, crop, noLighting, images, (k * views + v) * pixels, path));
    });
    return { images, labels, size: idx.length, views, height: crop, width: crop, channels: IMAGE_CHANNELS, indices: idx };
  }

  private async trainBatch(idx: Int32Array, labels: Int32Array, rng: Rng): Promise<ImageBatch> {
    const crop = this.cropSize;
    const pixels = crop * crop * IMAGE_CHANNELS;
    // The lighting offset is in [0, 1] pixel units; the bytes are multiplied by `scale`, so is the offset.
    const toScaled = 255 * this.normaliser.scale;
    // Every example's draws first, in index order: the batch then depends only on the indices and the rng state.
    const draws = Array.from(idx, () => drawImageNetAugmentation(rng, this));
    const images = new Float32Array(idx.length * pixels);
    await this.forEach(idx.length, async (k) => {
      const d = draws[k]!;
      const path = this.source.files[idx[k]!]!.path;
      const image = await this.load(path, { shorterSide: d.shorterSide });
      const win = randomCrop(image.height, image.width, crop, d, `${this.name}: ${path}`);
      this.write(
        image,
        win,
        crop,
        crop,
        d.lighting.map((v) => v * toScaled),
        images,
        k * pixels,
        path,
      );
    });
    return { images, labels, size: idx.length, views: 1, height: crop, width: crop, channels: IMAGE_CHANNELS, indices: idx };
  }

  private async fullImageBatch(idx: Int32Array, labels: Int32Array, side: number): Promise<ImageBatch> {
    if (idx.length > 1) {
      throw new ResNetError(
        `${this.name}: the full-image view (shorter side ${side}) gives images of different sizes, so a batch holds one example; got ${idx.length} indices (use batch size 1)`,
      );
    }
    if (idx.length === 0) {
      return { images: new Float32Array(0), labels, size: 0, views: 1, height: side, width: side, channels: IMAGE_CHANNELS, indices: idx };
    }
    const path = this.source.files[idx[0]!]!.path;
    const image = await this.load(path, { shorterSide: side });
    const images = new Float32Array(image.height * image.width * IMAGE_CHANNELS);
    this.write(image, { y: 0, x: 0, flip: false }, image.height, image.width, new Float64Array(IMAGE_CHANNELS), images, 0, path);
    return { images, labels, size: 1, views: 1, height: image.height, width: image.width, channels: IMAGE_CHANNELS, indices: idx };
  }

  private write(
    image: DecodedImage,
    win: CropWindow,
    h: number,
    w: number,
    lighting: ArrayLike<number>,
    out: Float32Array,
    offset: number,
    path: string,
  ): void {
    writeCrop(image, win, h, w, this.normaliser, lighting, out, offset, `${this.name}: ${path}`);
  }

  /** Reads and decodes one file; errors name the file. */
  private async load(path: string, resize: ImageResize): Promise<DecodedImage> {
    let bytes: Uint8Array;
    try {
      bytes = await this.source.read(path);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes(path)) throw error;
      throw new ResNetError(`${this.name}: cannot read ${path}: ${message}`);
    }
    let image: DecodedImage;
    try {
      image = await this.decoder.decode(bytes, resize);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ResNetError(`${this.name}: cannot decode ${path} (${bytes.length} bytes) with ${this.decoder.name}: ${message}`);
    }
    checkDecoded(image, resize, `${this.name}: ${path}`, this.decoder.name);
    return image;
  }

  /** Runs fn(0 … n−1), `concurrency` at a time; stops starting new ones after a failure. */
  private async forEach(n: number, fn: (k: number) => Promise<void>): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < n) {
        const k = next++;
        try {
          await fn(k);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, n) }, worker));
  }

  private checkIndex(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.size)) throw new ResNetError(`${this.name}: index ${i} is outside 0…${this.size - 1}`);
  }
}

export interface MeanImageOptions {
  /** The examples to average (e.g. a random 10,000 of the training set). Default all. */
  readonly indices?: ArrayLike<number>;
  /** Examples decoded per step. Default 32. */
  readonly batchSize?: number;
  /** Called after each step with the examples done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The per-pixel mean image (cropSize·cropSize·3 floats, HWC, in the data set's `scale` units) for
 * the paper's mean subtraction, pass it as the `mean` option. It averages the `center` view (shorter
 * side `evalResize`, the centre crop) of the examples, without mean, std or augmentation: the paper
 * does not say how its mean was made; training crops come from every position and scale, and their
 * per-pixel mean is close to the centre-crop mean, which is also exactly what evaluation sees.
 */
export async function computeMeanImage(dataset: ImageFolderDataset, options: MeanImageOptions = {}): Promise<Float32Array> {
  const plain = dataset.with({ view: 'center', mean: undefined, std: undefined }, `${dataset.name} (mean)`);
  const indices = options.indices ?? Int32Array.from({ length: dataset.size }, (_, i) => i);
  const batchSize = options.batchSize ?? 32;
  positiveInteger('computeMeanImage', 'batchSize', batchSize);
  const n = indices.length;
  if (n === 0) throw new ResNetError(`computeMeanImage: no examples to average in ${dataset.name}`);
  const pixels = dataset.cropSize * dataset.cropSize * IMAGE_CHANNELS;
  const sum = new Float64Array(pixels);
  for (let start = 0; start < n; start += batchSize) {
    const chunk = Array.from({ length: Math.min(batchSize, n - start) }, (_, k) => indices[start + k]!);
    const { images, size } = await plain.batch(chunk);
    for (let k = 0; k < size; k++) {
      const base = k * pixels;
      for (let p = 0; p < pixels; p++) sum[p]! += images[base + p]!;
    }
    options.onProgress?.(start + chunk.length, n);
  }
  return Float32Array.from(sum, (v) => v / n);
}
