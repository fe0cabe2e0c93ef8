/**
 * The built-in data set: 10 classes of 32×32 colour images of shapes and textures, generated from a
 * seed, so the main command trains offline and every machine sees the same images.
 *
 * It is made to need a convolutional network: each image has a random position, size, rotation,
 * foreground and background colour, a background gradient and pixel noise. So no pixel and no colour
 * says the class; only local shape does (a disc vs a ring vs a filled square vs an outline, plus vs
 * ×, horizontal vs vertical stripes). A linear classifier on the pixels does poorly, a ResNet well
 * (the tests measure both).
 */
import { positiveInteger } from '../checks.js';
import { ResNetError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { ArrayDataset, pixelMean, type ImageArray } from './array_dataset.js';

export const SYNTHETIC_CLASSES = [
  'disc',
  'ring',
  'square',
  'outline',
  'triangle',
  'plus',
  'cross',
  'h-stripes',
  'v-stripes',
  'checker',
] as const;

export const SYNTHETIC_SIZE = 32;

export interface SyntheticOptions {
  /** Training images. Default 10,000. */
  readonly trainSize?: number;
  /** Test images (drawn from an independent stream). Default 2,000. */
  readonly testSize?: number;
  /** The data set's seed; the default (0) is "the" synthetic set that README numbers refer to. */
  readonly seed?: number;
}

/** Signed distance (negative inside) of the shape of `cls` at point (u, v) in the shape's own frame, radius r. */
function shapeDistance(cls: number, u: number, v: number, r: number, period: number): number {
  const t = Math.max(1.5, r * 0.2); // stroke half-width
  switch (cls) {
    case 0: // disc
      return Math.hypot(u, v) - r;
    case 1: // ring
      return Math.abs(Math.hypot(u, v) - r * 0.8) - t;
    case 2: // filled square
      return Math.max(Math.abs(u), Math.abs(v)) - r * 0.8;
    case 3: // square outline
      return Math.abs(Math.max(Math.abs(u), Math.abs(v)) - r * 0.75) - t;
    case 4: // triangle: inside the three edges, whose outward normals are 120° apart
      return Math.max(v, -(Math.sqrt(3) / 2) * u - v / 2, (Math.sqrt(3) / 2) * u - v / 2) - r * 0.5;
    case 5: // plus
    case 6: {
      // cross: a plus turned 45° (the rotation is applied by the caller)
      const arm = (x: number, y: number): number => Math.max(Math.abs(x) - r, Math.abs(y) - t * 1.2);
      return Math.min(arm(u, v), arm(v, u));
    }
    case 7: // horizontal stripes inside a disc
    case 8: {
      // vertical stripes inside a disc
      const along = cls === 7 ? v : u;
      const stripe = (Math.abs(((along / period) % 1) + 1) % 1) - 0.5; // −0.5 … 0.5
      return Math.max(Math.hypot(u, v) - r, (Math.abs(stripe) - 0.25) * period);
    }
    case 9: {
      // checkerboard inside a square: the distance to the nearest cell edge, signed by the cell's colour
      const a = u / period + 100;
      const b = v / period + 100;
      const edge = Math.min(a - Math.floor(a), Math.ceil(a) - a, b - Math.floor(b), Math.ceil(b) - b) * period;
      const cell = (Math.floor(a) + Math.floor(b)) % 2 === 0 ? -edge : edge;
      return Math.max(Math.max(Math.abs(u), Math.abs(v)) - r * 0.85, cell);
    }
    default:
      throw new ResNetError(`synthetic: no class ${cls}`);
  }
}

function luminance(c: readonly number[]): number {
  return 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
}

/** One image of class `cls` into `out` (32·32·3 bytes, HWC), drawn from `rng`. */
export function drawSynthetic(cls: number, rng: Rng, out: Uint8Array): void {
  const s = SYNTHETIC_SIZE;
  const r = rng.uniform(9, 13);
  const cx = rng.uniform(r * 0.8, s - r * 0.8);
  const cy = rng.uniform(r * 0.8, s - r * 0.8);
  // Shapes lean a little (±20°) but keep their identity: plus and cross differ by 45°, stripes keep
  // their direction, a square never becomes a diamond.
  const turn = (cls === 6 ? Math.PI / 4 : 0) + rng.uniform(-0.35, 0.35);
  const period = cls === 9 ? rng.uniform(4, 6) : rng.uniform(4, 6.5);
  const background = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  let foreground: number[];
  do foreground = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  while (Math.abs(luminance(foreground) - luminance(background)) < 60);
  const gx = rng.uniform(-1.5, 1.5);
  const gy = rng.uniform(-1.5, 1.5);
  const noise = rng.uniform(2, 10);
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = cos * dx + sin * dy;
      const v = -sin * dx + cos * dy;
      // Coverage from the signed distance: a one-pixel anti-aliased edge.
      const coverage = Math.min(1, Math.max(0, 0.5 - shapeDistance(cls, u, v, r, period)));
      const shade = gx * (x - s / 2) + gy * (y - s / 2);
      const o = (y * s + x) * 3;
      for (let c = 0; c < 3; c++) {
        const value = background[c]! + shade + coverage * (foreground[c]! - background[c]!) + noise * rng.normal();
        out[o + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}

/** `count` images with balanced, shuffled labels from one seeded stream. */
export function generateSynthetic(count: number, seed: number, split: string): ImageArray {
  positiveInteger('synthetic', 'size', count);
  const rng = Rng.derive(seed, 'synthetic', split);
  const s = SYNTHETIC_SIZE;
  const images = new Uint8Array(count * s * s * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % SYNTHETIC_CLASSES.length;
  rng.shuffle(labels);
  for (let i = 0; i < count; i++) drawSynthetic(labels[i]!, rng, images.subarray(i * s * s * 3, (i + 1) * s * s * 3));
  return { images, labels, count, height: s, width: s, channels: 3 };
}

export interface SyntheticDatasets {
  readonly train: ArrayDataset;
  readonly test: ArrayDataset;
  /** Per-pixel mean of the training images (in [0, 1] units), subtracted from both. */
  readonly mean: Float32Array;
  readonly classNames: readonly string[];
}

/**
 * The synthetic training and test sets, prepared as the paper prepares CIFAR-10 (Sec. 4.2):
 * per-pixel mean of the training set subtracted, training images padded by 4, randomly cropped and flipped.
 */
export function syntheticDatasets(options: SyntheticOptions = {}): SyntheticDatasets {
  const { trainSize = 10_000, testSize = 2_000, seed = 0 } = options;
  const train = generateSynthetic(trainSize, seed, 'train');
  const test = generateSynthetic(testSize, seed, 'test');
  const mean = pixelMean(train);
  const classNames = [...SYNTHETIC_CLASSES];
  return {
    train: new ArrayDataset('synthetic/train', train, classNames, { mean, pad: 4, flip: true }),
    test: new ArrayDataset('synthetic/test', test, classNames, { mean }),
    mean,
    classNames,
  };
}
