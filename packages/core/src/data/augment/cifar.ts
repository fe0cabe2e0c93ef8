/**
 * The CIFAR-10 training augmentation (Sec. 4.2): "4 pixels are padded on each side, and a 32×32
 * crop is randomly sampled from the padded image or its horizontal flip." A plain loop over typed
 * arrays: the padding is never materialised, the crop reads the image where it overlaps it.
 */
import type { Rng } from '../../random/rng.js';

/** One image's random crop of the padded image, and whether it is flipped. */
export interface PaddedCrop {
  /** Where the crop starts relative to the unpadded image, in −pad … pad (0 is the image itself). */
  readonly dy: number;
  readonly dx: number;
  /** Horizontal flip. */
  readonly flip: boolean;
}

/**
 * Draws one image's crop offset and flip: two integers, then a coin. They are drawn even when the
 * augmentation is off (pad 0, no flip), so the stream of random numbers (and hence every later
 * batch) does not depend on which augmentations are on.
 */
export function drawPaddedCrop(rng: Rng, pad: number, flip: boolean): PaddedCrop {
  const dy = rng.int(2 * pad + 1) - pad;
  const dx = rng.int(2 * pad + 1) - pad;
  return { dy, dx, flip: rng.bernoulli() && flip };
}

/**
 * Writes `crop` of `src` (height × width × channels floats, HWC), zero-padded, into `out` (same
 * size): out[y][x] = padded[y + pad + dy][x' + pad + dx] with x' = x, or width − 1 − x when
 * flipped, and zero outside the image.
 */
export function paddedCrop(src: Float32Array, out: Float32Array, height: number, width: number, channels: number, crop: PaddedCrop): void {
  const { dy, dx, flip } = crop;
  if (dx === 0 && dy === 0 && !flip) {
    out.set(src);
    return;
  }
  out.fill(0);
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    if (sy < 0 || sy >= height) continue; // stays zero: padding
    for (let x = 0; x < width; x++) {
      const sx = (flip ? width - 1 - x : x) + dx;
      if (sx < 0 || sx >= width) continue;
      const o = (y * width + x) * channels;
      const s = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = src[s + c]!;
    }
  }
}
