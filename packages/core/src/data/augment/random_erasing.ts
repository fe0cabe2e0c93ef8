/**
 * Random erasing (Zhong, Zheng, Kang, Li & Yang, "Random Erasing Data Augmentation", AAAI 2020,
 * arXiv:1708.04896), the augmentation torchvision ships as `transforms.RandomErasing`: with some
 * probability, one rectangle of the training image (its area and aspect ratio drawn at random) is
 * blanked out, so that the net cannot lean on any one part of the image. Not in the ResNet paper: the
 * fashion-mnist recipe uses it (training/recipes.ts, where its measured effect is given), as the
 * erasing paper does for Fashion-MNIST.
 *
 * The rectangle is filled with zeros after the mean subtraction, i.e. with the per-pixel mean image:
 * torchvision's default (value 0 on a normalised tensor), and the erasing paper's "mean" variant,
 * which it found as good as random values.
 */
import { numberIn } from '../../checks.js';
import { ResNetError } from '../../errors.js';
import type { Rng } from '../../random/rng.js';

export interface RandomErasing {
  /** The chance that an image has a rectangle erased, in [0, 1]. */
  readonly probability: number;
  /** The rectangle's area as a fraction of the image's, drawn uniformly from [min, max] ⊂ (0, 1]. */
  readonly area: readonly [number, number];
  /** Its aspect ratio (height / width), drawn log-uniformly from [min, max] (0 < min ≤ max). */
  readonly aspect: readonly [number, number];
}

/** The erasing paper's (and torchvision's) settings: p = 0.5, area 2–40%, aspect 0.3–3.3. */
export const RANDOM_ERASING: RandomErasing = { probability: 0.5, area: [0.02, 0.4], aspect: [0.3, 1 / 0.3] };

/** Tries at a rectangle that fits before the image is left whole (torchvision's count; the paper loops until one fits). */
const ATTEMPTS = 10;

/** One erased rectangle: rows top … top + height − 1, columns left … left + width − 1. */
export interface ErasedRect {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Throws, naming the field and the value, unless `e` is a valid RandomErasing. */
export function checkRandomErasing(what: string, e: RandomErasing): void {
  numberIn(what, 'erase.probability', e.probability, { min: 0, max: 1 });
  const range = (field: string, r: unknown, max?: number): void => {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new ResNetError(`${what}: erase.${field} must be [min, max] of two positive numbers, got ${JSON.stringify(r)}`);
    const [lo, hi] = r as [number, number];
    if (lo > hi || (max !== undefined && hi > max))
      throw new ResNetError(`${what}: erase.${field} must have min ≤ max${max === undefined ? '' : ` ≤ ${max}`}, got [${lo}, ${hi}]`);
  };
  range('area', e.area, 1);
  range('aspect', e.aspect);
}

/**
 * Draws one image's rectangle for a height × width image, or undefined when it is left whole (the
 * coin says so, or no drawn rectangle fits in `ATTEMPTS` tries). The number of draws depends on the
 * outcome, so the random stream of later images does too: it is still a function of the seed alone.
 */
export function drawErasing(rng: Rng, height: number, width: number, e: RandomErasing): ErasedRect | undefined {
  if (!(rng.next() < e.probability)) return undefined;
  const [logLo, logHi] = [Math.log(e.aspect[0]), Math.log(e.aspect[1])];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const area = height * width * rng.uniform(e.area[0], e.area[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const h = Math.round(Math.sqrt(area * aspect));
    const w = Math.round(Math.sqrt(area / aspect));
    // Strictly smaller than the image, as torchvision: erasing all of it would leave no example.
    if (!(h >= 1 && w >= 1 && h < height && w < width)) continue;
    return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
  }
  return undefined;
}

/** Sets the pixels of `rect` in `image` (height × width × channels floats, HWC) to 0. */
export function eraseRect(image: Float32Array, width: number, channels: number, rect: ErasedRect): void {
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    image.fill(0, (y * width + rect.left) * channels, (y * width + rect.left + rect.width) * channels);
  }
}
