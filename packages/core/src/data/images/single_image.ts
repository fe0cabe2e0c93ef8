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
 * HWC floats (size·size·3), normalised with `scale`, `mean` and `std` as the data set does. `what`
 * names the image in errors.
 */
export async function decodeForModel(
  bytes: Uint8Array,
  decoder: ImageDecoder,
  options: ModelImageOptions,
  what = 'image',
): Promise<Float32Array> {
  const { size } = options;
  positiveInteger(what, 'size', size);
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
