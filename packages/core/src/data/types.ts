/**
 * What every data set gives the trainer: batches of float32 NHWC images with int32 labels, made on
 * request for a list of example indices. Ordering (shuffling, epochs, resuming mid-epoch) is the
 * loader's job (loader.ts); decoding and augmentation are the data set's. Pixels travel as typed
 * arrays, so augmentation is plain loops over memory, never per-pixel tensor ops.
 */
import type { Rng } from '../random/rng.js';

export interface ImageBatch {
  /** NHWC, `size · views` images of height × width × channels, already normalised (e.g. mean-subtracted). */
  readonly images: Float32Array;
  /** One label per example (not per view). */
  readonly labels: Int32Array;
  /** Examples in the batch (the last batch of an epoch may be smaller). */
  readonly size: number;
  /** Views per example, stored example-major (10 for 10-crop testing; 1 otherwise). */
  readonly views: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** The example indices this batch holds, in order. */
  readonly indices: Int32Array;
}

export interface Dataset {
  /** For messages and reports: `synthetic/train`, `cifar10/test`, `folder:/data/imagenet/val`. */
  readonly name: string;
  /** Number of examples. */
  readonly size: number;
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  /** Height, width, channels of the images batch() returns. */
  readonly imageShape: readonly [number, number, number];
  /**
   * The examples at `indices`, as one batch. `rng` drives augmentation; without it the data set
   * gives its deterministic evaluation view. The same indices and rng state give the same batch.
   */
  batch(indices: ArrayLike<number>, rng?: Rng): Promise<ImageBatch>;
}
