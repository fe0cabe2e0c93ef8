/**
 * From decoded bytes to the floats a model takes, in one pass per crop: cut the window, mirror it,
 * scale the bytes, add the lighting offset, subtract the mean (per channel or per pixel) and divide
 * by the standard deviation. Plain loops over typed arrays (ImageNet batches are 256 × 150k values;
 * per-pixel tensor ops would cost far more than the arithmetic).
 */
import { positiveNumber } from '../../checks.js';
import { ResNetError } from '../../errors.js';
import { IMAGE_CHANNELS, type DecodedImage } from './decoder.js';
import type { CropWindow } from './geometry.js';

export interface NormaliseOptions {
  /** Multiplies the bytes first. Default 1/255 (pixels in [0, 1]). */
  readonly scale?: number;
  /**
   * Subtracted after `scale`: 3 values (a mean per channel) or height·width·3 (the per-pixel mean
   * image of the paper, Sec. 3.4, at the output crop size, HWC). A per-pixel mean applies to views of
   * its size; views of another size (the full-image views of multi-scale testing) subtract its
   * per-channel average instead.
   */
  readonly mean?: ArrayLike<number>;
  /** Divides after the mean, per channel (3 values): e.g. torchvision's [0.229, 0.224, 0.225]. Default none. */
  readonly std?: ArrayLike<number>;
}

/** torchvision's ImageNet normalisation (per channel, pixels in [0, 1]): what its pretrained weights expect. */
export const TORCHVISION_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const TORCHVISION_STD: readonly number[] = [0.229, 0.224, 0.225];

/** Checked normalisation settings for crops of `height`×`width` (see `forSize`). */
export class Normaliser {
  readonly scale: number;
  /** The per-pixel mean image, when one was given (height·width·3). */
  readonly meanImage: Float32Array | undefined;
  /** Per-channel mean: the one given, or the per-channel average of the mean image, or zeros. */
  readonly channelMean: Float64Array;
  readonly invStd: Float64Array;

  constructor(
    options: NormaliseOptions,
    readonly height: number,
    readonly width: number,
    what: string,
  ) {
    const scale = options.scale ?? 1 / 255;
    this.scale = positiveNumber(what, 'scale', scale);
    const pixels = height * width * IMAGE_CHANNELS;
    this.channelMean = new Float64Array(IMAGE_CHANNELS);
    const mean = options.mean;
    if (mean !== undefined) {
      if (mean.length !== IMAGE_CHANNELS && mean.length !== pixels) {
        throw new ResNetError(
          `${what}: mean must have ${IMAGE_CHANNELS} values (per channel) or ${height}×${width}×${IMAGE_CHANNELS} = ${pixels} (per pixel, at the crop size), got ${mean.length}`,
        );
      }
      for (let i = 0; i < mean.length; i++)
        if (!Number.isFinite(mean[i]!)) throw new ResNetError(`${what}: mean[${i}] is ${mean[i]}, expected a finite number`);
      if (mean.length === pixels && pixels !== IMAGE_CHANNELS) {
        this.meanImage = Float32Array.from(mean);
        const sum = new Float64Array(IMAGE_CHANNELS);
        for (let i = 0; i < pixels; i++) sum[i % IMAGE_CHANNELS]! += mean[i]!;
        for (let c = 0; c < IMAGE_CHANNELS; c++) this.channelMean[c] = sum[c]! / (height * width);
      } else {
        for (let c = 0; c < IMAGE_CHANNELS; c++) this.channelMean[c] = mean[c]!;
      }
    }
    this.invStd = new Float64Array(IMAGE_CHANNELS).fill(1);
    if (options.std !== undefined) {
      const std = options.std;
      if (std.length !== IMAGE_CHANNELS)
        throw new ResNetError(`${what}: std must have ${IMAGE_CHANNELS} values (per channel), got ${std.length}`);
      for (let c = 0; c < IMAGE_CHANNELS; c++) {
        positiveNumber(what, `std[${c}]`, std[c]);
        this.invStd[c] = 1 / std[c]!;
      }
    }
  }

  /** The per-pixel mean to subtract from a view of `height`×`width`, if the mean image is of that size. */
  meanFor(height: number, width: number): Float32Array | undefined {
    return height === this.height && width === this.width ? this.meanImage : undefined;
  }
}

/**
 * Writes the `height`×`width` window `win` of `image` into `out` at `offset` (HWC floats):
 * out = (byte · scale + lighting[c] − mean) / std[c], where `lighting` (3 values, already in scaled
 * units) is the PCA offset of a training crop (zeros otherwise) and the mean is per pixel of the
 * *output* position when the normaliser has a mean image of this size, per channel otherwise.
 */
export function writeCrop(
  image: DecodedImage,
  win: CropWindow,
  height: number,
  width: number,
  norm: Normaliser,
  lighting: ArrayLike<number>,
  out: Float32Array,
  offset: number,
  what: string,
): void {
  if (!(win.y >= 0 && win.x >= 0 && win.y + height <= image.height && win.x + width <= image.width)) {
    throw new ResNetError(
      `${what}: a ${height}×${width} crop at (${win.y}, ${win.x}) does not fit in the ${image.height}×${image.width} image`,
    );
  }
  if (offset + height * width * IMAGE_CHANNELS > out.length)
    throw new ResNetError(`${what}: the output buffer is too small for a ${height}×${width} crop`);
  const src = image.data;
  const { scale, invStd, channelMean } = norm;
  const mean = norm.meanFor(height, width);
  const s0 = invStd[0]!;
  const s1 = invStd[1]!;
  const s2 = invStd[2]!;
  // With a per-channel mean everything but the byte folds into one bias per channel.
  const b0 = lighting[0]! - (mean ? 0 : channelMean[0]!);
  const b1 = lighting[1]! - (mean ? 0 : channelMean[1]!);
  const b2 = lighting[2]! - (mean ? 0 : channelMean[2]!);
  const srcWidth = image.width;
  for (let y = 0; y < height; y++) {
    const row = ((win.y + y) * srcWidth + win.x) * IMAGE_CHANNELS;
    let o = offset + y * width * IMAGE_CHANNELS;
    let m = y * width * IMAGE_CHANNELS;
    for (let x = 0; x < width; x++, o += IMAGE_CHANNELS, m += IMAGE_CHANNELS) {
      const s = row + (win.flip ? width - 1 - x : x) * IMAGE_CHANNELS;
      if (mean) {
        out[o] = (src[s]! * scale + b0 - mean[m]!) * s0;
        out[o + 1] = (src[s + 1]! * scale + b1 - mean[m + 1]!) * s1;
        out[o + 2] = (src[s + 2]! * scale + b2 - mean[m + 2]!) * s2;
      } else {
        out[o] = (src[s]! * scale + b0) * s0;
        out[o + 1] = (src[s + 1]! * scale + b1) * s1;
        out[o + 2] = (src[s + 2]! * scale + b2) * s2;
      }
    }
  }
}
