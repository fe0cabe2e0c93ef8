/**
 * The paper's CIFAR-10 data sets (Sec. 4.2) from the distribution's files: 50k training images
 * (or the 45k part of a 45k/5k split, as the paper used for its analysis), the 10k test images,
 * the per-pixel mean of the training part only, pad-4 + flip augmentation on the training set and
 * none on the held-out and test sets. The files come as bytes, so the same code serves Node
 * (packages/node-io reads a folder or the archive) and browsers (fetch the archive yourself).
 */
import { ResNetError } from '../../errors.js';
import { ArrayDataset, SubsetDataset, pixelMean, splitIndices } from '../array_dataset.js';
import type { Dataset } from '../types.js';
import { parseCifar10Batches } from './binary.js';
import { CIFAR10_CLASS_NAMES, CIFAR10_FILES, CIFAR10_FOLDER, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './constants.js';
import { gunzip } from './gzip.js';
import { readTar } from './tar.js';

/** The batch files by name (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`). */
export type Cifar10Files = Readonly<Record<string, Uint8Array>>;

export interface Cifar10Options {
  /** Training images held out as a validation set (the paper's analysis used 5000). Default 0: no split. */
  readonly valSize?: number;
  /** Seed of the split (splitIndices): the same seed gives the same split. Default 0. */
  readonly splitSeed?: number;
  /** Zero padding before the random 32×32 crop (Sec. 4.2: 4). Default 4. */
  readonly pad?: number;
  /** Random horizontal flips (Sec. 4.2). Default true. */
  readonly flip?: boolean;
}

export interface Cifar10Data {
  /** Augmented when batch() gets an rng: 50k images, or the training part of the split. */
  readonly train: Dataset;
  /** The held-out part of the split (no augmentation); only when `valSize` > 0. */
  readonly val?: Dataset;
  /** The 10k test images (no augmentation). */
  readonly test: Dataset;
  /** The per-pixel mean (32·32·3 values in [0, 1], NHWC) of the training images, subtracted from every set. */
  readonly mean: Float32Array;
  readonly classNames: readonly string[];
  /** Indices into the 50k training images of each part of the split; only when `valSize` > 0. */
  readonly split?: { readonly train: Int32Array; readonly val: Int32Array };
}

const OPTION_NAMES = ['valSize', 'splitSeed', 'pad', 'flip'];

/** Throws a ResNetError naming every batch file missing from `files`; `where` says where they were looked for. */
export function checkCifar10Files(files: Cifar10Files, where: string): void {
  const missing = CIFAR10_FILES.filter((f) => !(files[f] instanceof Uint8Array));
  if (missing.length > 0) {
    throw new ResNetError(
      `cifar10: ${where} has no ${missing.join(', ')} (expected ${CIFAR10_FILES.join(', ')} from the binary version of CIFAR-10)`,
    );
  }
}

/** Builds the training, validation (optional) and test sets from the batch files. */
export function cifar10Datasets(files: Cifar10Files, options: Cifar10Options = {}): Cifar10Data {
  const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.includes(k));
  if (unknown.length > 0) throw new ResNetError(`cifar10: unknown option ${unknown.join(', ')} (known: ${OPTION_NAMES.join(', ')})`);
  checkCifar10Files(files, 'the files given');
  const { valSize = 0, splitSeed = 0, pad = 4, flip = true } = options;
  const trainImages = parseCifar10Batches(CIFAR10_TRAIN_FILES.map((name) => ({ name, bytes: files[name]! })));
  const testImages = parseCifar10Batches([{ name: CIFAR10_TEST_FILE, bytes: files[CIFAR10_TEST_FILE]! }]);
  if (!(Number.isInteger(valSize) && valSize >= 0 && valSize < trainImages.count)) {
    throw new ResNetError(`cifar10: valSize must be an integer in [0, ${trainImages.count}) (the training images), got ${valSize}`);
  }
  const classNames = CIFAR10_CLASS_NAMES;
  const test = (mean: Float32Array) => new ArrayDataset('cifar10/test', testImages, classNames, { mean });

  if (valSize === 0) {
    const mean = pixelMean(trainImages);
    const train = new ArrayDataset('cifar10/train', trainImages, classNames, { mean, pad, flip });
    return { train, test: test(mean), mean, classNames };
  }
  // The mean comes from the training part only: the held-out images stay unseen (Sec. 4.2).
  const split = splitIndices(trainImages.count, valSize, splitSeed);
  const mean = pixelMean(trainImages, split.train);
  const all = new ArrayDataset('cifar10/train+val', trainImages, classNames, { mean, pad, flip });
  return {
    train: new SubsetDataset('cifar10/train', all, split.train),
    val: new SubsetDataset('cifar10/val', all.with({ pad: 0, flip: false }), split.val),
    test: test(mean),
    mean,
    classNames,
    split,
  };
}

/**
 * The batch files inside `cifar-10-binary.tar.gz` (from CIFAR10_URL), read from its bytes. Files are
 * looked for under `cifar-10-batches-bin/`, or by their bare names anywhere in the archive.
 */
export async function cifar10FromTarGz(bytes: Uint8Array, name = 'cifar-10-binary.tar.gz'): Promise<Cifar10Files> {
  const entries = readTar(await gunzip(bytes, name), name);
  const files: Record<string, Uint8Array> = {};
  for (const entry of entries) {
    const parts = entry.name.split('/').filter((p) => p !== '' && p !== '.');
    const base = parts[parts.length - 1] ?? '';
    if (!(CIFAR10_FILES as readonly string[]).includes(base)) continue;
    // The official folder wins over a stray copy elsewhere in the archive.
    if (files[base] && parts[parts.length - 2] !== CIFAR10_FOLDER) continue;
    files[base] = entry.data;
  }
  if (Object.keys(files).length < CIFAR10_FILES.length) {
    const python = entries.some((e) => e.name.includes('cifar-10-batches-py'));
    const hint = python ? ' (this is the Python version of CIFAR-10; the binary version is cifar-10-binary.tar.gz)' : '';
    const found =
      entries.length === 0
        ? 'no files'
        : `${entries.length} files, e.g. ${entries
            .slice(0, 3)
            .map((e) => e.name)
            .join(', ')}`;
    checkCifar10Files(files, `${name} (holding ${found})${hint}`);
  }
  return files;
}
