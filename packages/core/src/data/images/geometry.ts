/**
 * Where the crops of an image are, for the paper's testing (Sec. 3.4): the centre crop, the standard
 * 10-crop (4 corners + centre, and their mirror images), and the scales of multi-scale testing. Pure
 * arithmetic on sizes, so the evaluator and the tests can check the geometry without any pixels; also
 * the average of scores over views that 10-crop testing needs.
 */
import { integer, positiveInteger } from '../../checks.js';
import { ResNetError } from '../../errors.js';

/** Multi-scale testing (Sec. 3.4, Table 4): the shorter side of the image takes each of these sizes. */
export const MULTI_SCALE_SIZES: readonly number[] = [224, 256, 384, 480, 640];

/** A crop of an image: its top-left corner, and whether the crop is mirrored (left–right) after cutting. */
export interface CropWindow {
  readonly y: number;
  readonly x: number;
  readonly flip: boolean;
}

/** The 10 views of `tenCrop`, in order. View 5 + i is view i mirrored. */
export const TEN_CROP_VIEWS: readonly string[] = [
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
  'center',
  'top-left flipped',
  'top-right flipped',
  'bottom-left flipped',
  'bottom-right flipped',
  'center flipped',
];

function checkFits(height: number, width: number, crop: number, what: string): void {
  positiveInteger(what, 'crop size', crop);
  if (!(Number.isInteger(height) && Number.isInteger(width) && height >= crop && width >= crop)) {
    throw new ResNetError(`${what}: a ${crop}×${crop} crop does not fit in a ${height}×${width} image`);
  }
}

/** The centred `crop`×`crop` window: offsets ⌊(side − crop) / 2⌋. */
export function centerCrop(height: number, width: number, crop: number): CropWindow {
  checkFits(height, width, crop, 'center crop');
  return { y: Math.floor((height - crop) / 2), x: Math.floor((width - crop) / 2), flip: false };
}

/**
 * The standard 10-crop of a `height`×`width` image (the paper resizes the shorter side to 256 first):
 * top-left, top-right, bottom-left, bottom-right, centre, then each of those five mirrored, in the
 * order of TEN_CROP_VIEWS.
 */
export function tenCrop(height: number, width: number, crop: number): CropWindow[] {
  checkFits(height, width, crop, 'ten-crop');
  const c = centerCrop(height, width, crop);
  const bottom = height - crop;
  const right = width - crop;
  const five = [
    { y: 0, x: 0 },
    { y: 0, x: right },
    { y: bottom, x: 0 },
    { y: bottom, x: right },
    { y: c.y, x: c.x },
  ];
  return [...five.map((w) => ({ ...w, flip: false })), ...five.map((w) => ({ ...w, flip: true }))];
}

/**
 * The mean over views of per-view scores, for an ImageBatch with several views per example:
 * `scores` is [examples · views, classes] in the batch's example-major order, the result is
 * [examples, classes]. The paper averages softmax probabilities (not logits) over the 10 crops and
 * over scales.
 */
export function averageViewScores(scores: ArrayLike<number>, examples: number, views: number, classes: number): Float32Array {
  for (const [k, v] of Object.entries({ examples, views, classes })) {
    integer('averageViewScores', k, v, { min: k === 'examples' ? 0 : 1 });
  }
  if (scores.length !== examples * views * classes) {
    throw new ResNetError(
      `averageViewScores: expected ${examples}×${views}×${classes} = ${examples * views * classes} scores, got ${scores.length}`,
    );
  }
  const out = new Float32Array(examples * classes);
  for (let e = 0; e < examples; e++) {
    for (let c = 0; c < classes; c++) {
      let sum = 0;
      for (let v = 0; v < views; v++) sum += scores[(e * views + v) * classes + c]!;
      out[e * classes + c] = sum / views;
    }
  }
  return out;
}
