/**
 * The ImageNet training augmentation (Sec. 3.4): "The image is resized with its shorter side
 * randomly sampled in [256, 480] for scale augmentation. A 224×224 crop is randomly sampled from an
 * image or its horizontal flip [...]. The standard color augmentation in [21] is used."
 *
 * Every random number of an image is drawn before it is decoded (the data set draws a whole batch's
 * in index order), so the crop position is drawn as fractions of the free range: the resized size
 * is not known yet. The crop, flip and lighting are applied in one pass with the normalisation
 * (images/normalise.ts `writeCrop`).
 */
import { ResNetError } from '../../errors.js';
import type { Rng } from '../../random/rng.js';
import type { CropWindow } from '../images/geometry.js';
import { pcaLighting } from './pca_lighting.js';

export interface ImageNetAugmentation {
  /** Scale augmentation: the shorter side is a uniform integer in [lo, hi] (the paper's [256, 480]). */
  readonly scaleRange: readonly [number, number];
  /** Random horizontal flip. */
  readonly flip: boolean;
  /** Colour augmentation: the standard deviation of the PCA lighting coefficients α (AlexNet's 0.1); 0 turns it off. */
  readonly lighting: number;
}

/** One image's random choices. */
export interface ImageNetDraw {
  /** Scale augmentation: the shorter side to resize to. */
  readonly shorterSide: number;
  /** Random crop: where the crop starts, as fractions in [0, 1) of the rows and columns it may start at. */
  readonly fy: number;
  readonly fx: number;
  /** Horizontal flip. */
  readonly flip: boolean;
  /** Colour augmentation: the RGB offset of PCA lighting, for pixels in [0, 1]. */
  readonly lighting: Float64Array;
}

/**
 * Draws one image's augmentation: shorter side, crop row, crop column, flip, then three normals for
 * α. Always the same draws, whichever augmentations are on, so the random stream does not depend on them.
 */
export function drawImageNetAugmentation(rng: Rng, options: ImageNetAugmentation): ImageNetDraw {
  const [lo, hi] = options.scaleRange;
  const shorterSide = lo + rng.int(hi - lo + 1);
  const fy = rng.next();
  const fx = rng.next();
  const flip = rng.bernoulli() && options.flip;
  const alpha = [rng.normal() * options.lighting, rng.normal() * options.lighting, rng.normal() * options.lighting];
  return { shorterSide, fy, fx, flip, lighting: pcaLighting(alpha) };
}

/** The random `crop`×`crop` window of the resized image: offsets ⌊f · (side − crop + 1)⌋. */
export function randomCrop(height: number, width: number, crop: number, draw: ImageNetDraw, what: string): CropWindow {
  if (height < crop || width < crop) throw new ResNetError(`${what}: a ${crop}×${crop} crop does not fit in the ${height}×${width} image`);
  return { y: Math.floor(draw.fy * (height - crop + 1)), x: Math.floor(draw.fx * (width - crop + 1)), flip: draw.flip };
}
