/**
 * The order examples are seen in, batch by batch, epoch after epoch, as an async stream with a few
 * batches prepared ahead. The order of epoch e is a pure function of (seed, e): full shuffle (a
 * permutation), a shuffle buffer (what a streaming source can afford), or none. The augmentation of
 * batch b of epoch e draws from its own stream `Rng.derive(seed, 'augment', e, b)`. So the position
 * {epoch, batch} and the seed are all a checkpoint needs to continue with exactly the same batches.
 */
import { integer, positiveInteger } from '../checks.js';
import { ResNetError } from '../errors.js';
import { Rng } from '../random/rng.js';
import type { Dataset, ImageBatch } from './types.js';

/** `full`: a fresh permutation each epoch. `{ buffer: n }`: a shuffle buffer of n examples over the stored order. `none`: stored order. */
export type ShuffleMode = 'full' | 'none' | { readonly buffer: number };

export interface LoaderOptions {
  readonly batchSize: number;
  /** Default `full`. */
  readonly shuffle?: ShuffleMode;
  /** Seed of the order and the augmentation. Default 0. */
  readonly seed?: number;
  /** Augment (pass an rng to the data set). Default true. */
  readonly augment?: boolean;
  /** Drop the last incomplete batch of each epoch (training does; BN dislikes tiny batches). Default true. */
  readonly dropLast?: boolean;
  /** Batches prepared ahead while the current one trains. Default 2. */
  readonly prefetch?: number;
}

/** Where a stream is: the next batch to hand out is batch `batch` of epoch `epoch` (both from 0). */
export interface LoaderPosition {
  readonly epoch: number;
  readonly batch: number;
}

export interface PositionedBatch {
  readonly batch: ImageBatch;
  /** This batch's own position. */
  readonly position: LoaderPosition;
  /** The position after it: where a run that has trained on this batch continues (checkpoints). */
  readonly next: LoaderPosition;
}

/**
 * Mini-batches of a {@link Dataset} in a reproducible order: each epoch's order and each batch's
 * augmentation depend only on the seed and the batch's position, so a stream can restart from any
 * {@link LoaderPosition} with the same batches.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(train, { batchSize: 128, seed: 1 });
 * for await (const { batch, position } of loader.stream()) {
 *   // train on batch.images / batch.labels; stop when done (the stream is endless)
 * }
 * ```
 */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: ShuffleMode;
  readonly seed: number;
  readonly augment: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;

  constructor(
    readonly dataset: Dataset,
    options: LoaderOptions,
  ) {
    const { batchSize, shuffle = 'full', seed = 0, augment = true, dropLast = true, prefetch = 2 } = options;
    positiveInteger('loader', 'batchSize', batchSize);
    if (typeof shuffle === 'object') {
      positiveInteger('loader', 'shuffle buffer', shuffle.buffer);
    } else if (shuffle !== 'full' && shuffle !== 'none') {
      throw new ResNetError(`loader: shuffle must be "full", "none" or { buffer: n }, got ${JSON.stringify(shuffle)}`);
    }
    integer('loader', 'seed', seed);
    integer('loader', 'prefetch', prefetch, { min: 0 });
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.augment = augment;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.batchesPerEpoch = dropLast ? Math.floor(dataset.size / batchSize) : Math.ceil(dataset.size / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new ResNetError(`loader: ${dataset.name} has ${dataset.size} examples, fewer than one batch of ${batchSize}`);
    }
  }

  /** The order of the examples in `epoch`. */
  order(epoch: number): Int32Array {
    const n = this.dataset.size;
    if (this.shuffle === 'none') return Int32Array.from({ length: n }, (_, i) => i);
    const rng = Rng.derive(this.seed, 'order', epoch);
    if (this.shuffle === 'full') return rng.permutation(n);
    // A shuffle buffer: read in stored order, emit a random element of the buffer each time.
    const size = Math.min(this.shuffle.buffer, n);
    const buffer = Array.from({ length: size }, (_, i) => i);
    const out = new Int32Array(n);
    let next = size;
    for (let k = 0; k < n; k++) {
      const j = rng.int(buffer.length);
      out[k] = buffer[j]!;
      if (next < n) buffer[j] = next++;
      else buffer.splice(j, 1);
    }
    return out;
  }

  /** The example indices of one batch. */
  indices(position: LoaderPosition, order = this.order(position.epoch)): Int32Array {
    this.checkPosition(position);
    const start = position.batch * this.batchSize;
    return order.slice(start, Math.min(start + this.batchSize, order.length));
  }

  /** One batch, made the same way the stream makes it. */
  async batchAt(position: LoaderPosition, order?: Int32Array): Promise<ImageBatch> {
    const rng = this.augment ? Rng.derive(this.seed, 'augment', position.epoch, position.batch) : undefined;
    return this.dataset.batch(this.indices(position, order), rng);
  }

  /**
   * Batches from `from` onwards, across epochs, for as long as the consumer pulls (training).
   * Up to `prefetch` batches are prepared ahead of the consumer.
   */
  async *stream(from: LoaderPosition = { epoch: 0, batch: 0 }): AsyncGenerator<PositionedBatch> {
    this.checkPosition(from);
    let { epoch, batch } = from;
    let order = this.order(epoch);
    const pending: { position: LoaderPosition; next: LoaderPosition; promise: Promise<ImageBatch> }[] = [];
    const enqueue = (): void => {
      const position = { epoch, batch };
      const promise = this.batchAt(position, order);
      promise.catch(() => undefined); // surfaced when awaited below
      batch++;
      if (batch === this.batchesPerEpoch) {
        epoch++;
        batch = 0;
        order = this.order(epoch);
      }
      pending.push({ position, next: { epoch, batch }, promise });
    };
    for (;;) {
      while (pending.length < this.prefetch + 1) enqueue();
      const head = pending.shift()!;
      yield { batch: await head.promise, position: head.position, next: head.next };
    }
  }

  /** One pass over the data set in stored order without augmentation, every example once (evaluation). */
  static async *evaluation(dataset: Dataset, batchSize: number): AsyncGenerator<ImageBatch> {
    positiveInteger('loader', 'batchSize', batchSize);
    let next: Promise<ImageBatch> | undefined;
    const at = (start: number): Promise<ImageBatch> => {
      const end = Math.min(start + batchSize, dataset.size);
      return dataset.batch(Int32Array.from({ length: end - start }, (_, i) => start + i));
    };
    for (let start = 0; start < dataset.size; start += batchSize) {
      const current = next ?? at(start);
      next = start + batchSize < dataset.size ? at(start + batchSize) : undefined;
      next?.catch(() => undefined);
      yield await current;
    }
  }

  private checkPosition(p: LoaderPosition): void {
    if (!(Number.isInteger(p.epoch) && p.epoch >= 0 && Number.isInteger(p.batch) && p.batch >= 0 && p.batch < this.batchesPerEpoch)) {
      throw new ResNetError(`loader: position must be { epoch ≥ 0, batch in 0…${this.batchesPerEpoch - 1} }, got ${JSON.stringify(p)}`);
    }
  }
}
