// The tiny learnable data set of the training tests: 8×8 images of 3 classes, the class being
// which third of the image is brightest.
import type { ImageArray } from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';

export const TINY_SIZE = 8;
export const TINY_CLASSES = 3;
export const TINY_NAMES = ['left', 'middle', 'right'];

/** `count` random 8×8 images; the class is which third of the image is brightest, so it can be learned. */
export function tinyData(count = 48, seed = 1): ImageArray {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * TINY_SIZE * TINY_SIZE * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % TINY_CLASSES;
    for (let y = 0; y < TINY_SIZE; y++)
      for (let x = 0; x < TINY_SIZE; x++)
        for (let c = 0; c < 3; c++)
          images[((i * TINY_SIZE + y) * TINY_SIZE + x) * 3 + c] =
            rng.int(100) + (Math.floor((x * TINY_CLASSES) / TINY_SIZE) === labels[i] ? 120 : 0);
  }
  return { images, labels, count, height: TINY_SIZE, width: TINY_SIZE, channels: 3 };
}
