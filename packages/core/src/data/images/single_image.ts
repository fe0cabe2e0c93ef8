/**
 * One image file as a model input, the way evaluation sees images (shorter side resized, centre crop,
 * normalised), so `predict` classifies an arbitrary photo exactly as the validation set is classified.
 * Platform-neutral: the caller supplies the bytes and the decoder (sharp in Node, the browser's own).
 */
import { positiveInteger } from '../../checks.js';
import { ResNetError } from '../../errors.js';
import { IMAGE_CHANNELS, checkDecoded, type ImageDecoder } from './decoder.js';
import { centerCrop } from './geometry.js';
import { Normaliser, writeCrop, type NormaliseOptions } from './normalise.js';

export interface ModelImageOptions extends NormaliseOptions {
  /** Side of the square input: the model's input size (224 for the ImageNet nets). */
  readonly size: number;
  /** Shorter side before the centre crop. Default evalResizeFor(size): 32 for 32, 256 for 224. */
  readonly resize?: number;
  /**
   * The model's input channels: 3 (default), or 1 for a net trained on grayscale images (the MNIST
   * family), which gets the image's luma (ITU-R BT.601 weights, as PIL's `convert('L')`); `mean` is
   * then 1 value or size·size (the per-pixel mean), `std` 1 value.
   */
  readonly channels?: 1 | 3;
}

/** RGB crop (HWC, scaled) → one channel: luma, minus `mean` (1 or h·w values), divided by `std` (1 value). */
function toLuma(
  rgb: Float32Array,
  pixels: number,
  mean: ArrayLike<number> | undefined,
  std: ArrayLike<number> | undefined,
  what: string,
): Float32Array {
  if (mean !== undefined && mean.length !== 1 && mean.length !== pixels)
    throw new ResNetError(`${what}: mean must have 1 or ${pixels} values for one channel, got ${mean.length}`);
  if (std !== undefined && !(std.length === 1 && std[0]! > 0))
    throw new ResNetError(`${what}: std must be 1 positive value for one channel, got ${std.length} value${std.length === 1 ? '' : 's'}`);
  const out = new Float32Array(pixels);
  const s = std?.[0] ?? 1;
  for (let p = 0; p < pixels; p++) {
    const luma = 0.299 * rgb[p * 3]! + 0.587 * rgb[p * 3 + 1]! + 0.114 * rgb[p * 3 + 2]!;
    out[p] = (luma - (mean === undefined ? 0 : mean.length === 1 ? mean[0]! : mean[p]!)) / s;
  }
  return out;
}

/** The largest input side of the small-image nets (CIFAR's 32, MNIST's 28), trained and tested on whole images. */
const WHOLE_IMAGE_SIZE = 32;

/**
 * The shorter side an image is resized to before its centre `size`×`size` crop, when none is given
 * (predict, loadImageForModel, the web page): `size` itself for the CIFAR nets' 32 and below, since
 * they were trained and tested on whole 32×32 images (an enlargement first would cut off edges they
 * saw); round(size · 256 / 224) otherwise, the paper's ImageNet testing (Sec. 3.4: 256 for 224).
 */
export function evalResizeFor(size: number): number {
  return size <= WHOLE_IMAGE_SIZE ? size : Math.round((size * 256) / 224);
}

/**
 * Decodes `bytes`, resizes the shorter side to `resize` and returns the centre `size`×`size` crop as
 * HWC floats (size·size·3, or size·size for `channels: 1`), normalised with `scale`, `mean` and
 * `std` as the data set does. `what` names the image in errors.
 */
export async function decodeForModel(
  bytes: Uint8Array,
  decoder: ImageDecoder,
  options: ModelImageOptions,
  what = 'image',
): Promise<Float32Array> {
  const { size, channels = 3 } = options;
  positiveInteger(what, 'size', size);
  if (channels !== 1 && channels !== 3) throw new ResNetError(`${what}: channels must be 1 or 3, got ${String(channels)}`);
  if (channels === 1) {
    const { mean, std, ...rgb } = options;
    return toLuma(await decodeForModel(bytes, decoder, { ...rgb, channels: 3 }, what), size * size, mean, std, what);
  }
  const resize = options.resize ?? evalResizeFor(size);
  if (!(Number.isInteger(resize) && resize >= size))
    throw new ResNetError(`${what}: resize must be an integer ≥ size ${size}, got ${resize}`);
  const norm = new Normaliser(options, size, size, what);
  let image;
  try {
    image = await decoder.decode(bytes, { shorterSide: resize });
  } catch (error) {
    throw new ResNetError(
      `cannot decode ${what} (${bytes.length} bytes) with ${decoder.name}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  checkDecoded(image, { shorterSide: resize }, what, decoder.name);
  const out = new Float32Array(size * size * IMAGE_CHANNELS);
  writeCrop(image, centerCrop(image.height, image.width, size), size, size, norm, [0, 0, 0], out, 0, what);
  return out;
}
