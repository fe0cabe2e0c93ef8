/**
 * The MNIST family in IDX files: MNIST (LeCun et al., handwritten digits) and Fashion-MNIST (Xiao,
 * Rasul & Vollgraf 2017, Zalando's clothing images, "a drop-in replacement for MNIST"): 60,000
 * training and 10,000 test images, 28×28 grayscale, 10 classes, each set in four files. Their data
 * sets here are the paper's CIFAR-10 treatment (Sec. 4.2) on one channel: the per-pixel mean of
 * the training part subtracted, pad + random crop on the training set only, and for clothing also
 * flips and random erasing (each set's `augmentation`; the choice is measured in training/recipes.ts).
 *
 * The images stay 28×28: the CIFAR nets end in global average pooling, so they take 28×28 inputs
 * (feature maps of 28, 14 and 7) and padding to 32 would add 31% more arithmetic for border pixels
 * that are zero in every image.
 */
import { ResNetError } from '../../errors.js';
import { ArrayDataset, SubsetDataset, pixelMean, splitIndices, type ImageArray } from '../array_dataset.js';
import { RANDOM_ERASING, type RandomErasing } from '../augment/random_erasing.js';
import type { Dataset } from '../types.js';
import { readIdx } from './idx.js';

export type MnistKind = 'mnist' | 'fashion-mnist';

/** The four files of a set, by role, as distributed (gzip). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export type MnistFileRole = keyof typeof MNIST_FILES;

export interface MnistSetInfo {
  readonly kind: MnistKind;
  readonly title: string;
  readonly classNames: readonly string[];
  /** Where the files are published (the official location or the mirror torchvision uses). */
  readonly url: string;
  /** MD5 of each published .gz file (the checksums torchvision checks). */
  readonly md5: Readonly<Record<MnistFileRole, string>>;
  /** The set's training augmentation besides the pad-4 crop: the defaults of mnistDatasets. */
  readonly augmentation: { readonly flip: boolean; readonly erase?: RandomErasing };
}

export const MNIST_SETS: Readonly<Record<MnistKind, MnistSetInfo>> = {
  mnist: {
    kind: 'mnist',
    title: 'MNIST',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // yann.lecun.com often refuses downloads; this is the mirror torchvision uses.
    url: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    md5: {
      trainImages: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      trainLabels: 'd53e105ee54ea40749a09fcbcd1e9432',
      testImages: '9fb629c4189551a2d022fa330f9573f3',
      testLabels: 'ec29112dd5afa0611ce80d1b7f02629c',
    },
    // A mirrored 2 or 7 is no digit, so no flips.
    augmentation: { flip: false },
  },
  'fashion-mnist': {
    kind: 'fashion-mnist',
    title: 'Fashion-MNIST',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    url: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    md5: {
      trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
      testImages: 'bef4ecab320f06d8554ea6380940ec79',
      testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
    },
    // Clothing is roughly mirror-symmetric; erasing as the erasing paper does for this set (recipes.ts).
    augmentation: { flip: true, erase: RANDOM_ERASING },
  },
};

export const MNIST_SIZE = 28;

/** The files by role: gzip or raw IDX bytes, each with the name it came from (for messages). */
export type MnistFiles = Readonly<Record<MnistFileRole, { readonly name: string; readonly bytes: Uint8Array }>>;

/** An images file and its labels file as one NHWC uint8 array of one channel; counts and labels checked. */
export async function parseMnistPair(
  images: { readonly name: string; readonly bytes: Uint8Array },
  labels: { readonly name: string; readonly bytes: Uint8Array },
  classes = 10,
): Promise<ImageArray> {
  const x = await readIdx(images.bytes, images.name, 3);
  const y = await readIdx(labels.bytes, labels.name, 1);
  const [count, height, width] = x.shape as [number, number, number];
  if (y.shape[0] !== count)
    throw new ResNetError(`idx: ${images.name} has ${count} images but ${labels.name} has ${y.shape[0]} labels; they must be a pair`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = y.data[i]!;
    if (label >= classes) throw new ResNetError(`idx: ${labels.name}: label ${i} is ${label}, expected 0…${classes - 1}`);
    out[i] = label;
  }
  return { images: x.data, labels: out, count, height, width, channels: 1 };
}

export interface MnistOptions {
  /** Training images held out as a validation set. Default 0. */
  readonly valSize?: number;
  /** Seed of the split. Default 0. */
  readonly splitSeed?: number;
  /** Zero padding before the random 28×28 crop. Default 4 (the paper's CIFAR value). */
  readonly pad?: number;
  /** Random horizontal flips. Default: the set's (MNIST_SETS[kind].augmentation: on for clothing, off for digits). */
  readonly flip?: boolean;
  /** Random erasing after the crop, or undefined for none. Default: the set's (on for clothing, off for digits). */
  readonly erase?: RandomErasing | undefined;
}

export interface MnistData {
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly test: Dataset;
  /** The per-pixel mean (28·28 values in [0, 1]) of the training images (or the training part of the split). */
  readonly mean: Float32Array;
  readonly classNames: readonly string[];
}

/** The training, validation (optional) and test sets of MNIST or Fashion-MNIST from its four files. */
export async function mnistDatasets(kind: MnistKind, files: MnistFiles, options: MnistOptions = {}): Promise<MnistData> {
  const info = MNIST_SETS[kind];
  if (!info) throw new ResNetError(`idx: unknown set "${kind}"; expected ${Object.keys(MNIST_SETS).join(' or ')}`);
  const { valSize = 0, splitSeed = 0, pad = 4, flip = info.augmentation.flip } = options;
  const erase = 'erase' in options ? options.erase : info.augmentation.erase;
  const train = await parseMnistPair(files.trainImages, files.trainLabels);
  const test = await parseMnistPair(files.testImages, files.testLabels);
  for (const [what, a] of [
    ['training', train],
    ['test', test],
  ] as const) {
    if (a.height !== MNIST_SIZE || a.width !== MNIST_SIZE)
      throw new ResNetError(`idx: ${info.title}'s ${what} images are ${a.height}×${a.width}, expected ${MNIST_SIZE}×${MNIST_SIZE}`);
  }
  if (!(Number.isInteger(valSize) && valSize >= 0 && valSize < train.count))
    throw new ResNetError(`idx: valSize must be an integer in [0, ${train.count}) (the training images), got ${valSize}`);
  const classNames = info.classNames;
  const name = kind;
  const testSet = (mean: Float32Array): Dataset => new ArrayDataset(`${name}/test`, test, classNames, { mean });
  if (valSize === 0) {
    const mean = pixelMean(train);
    return {
      train: new ArrayDataset(`${name}/train`, train, classNames, { mean, pad, flip, erase }),
      test: testSet(mean),
      mean,
      classNames,
    };
  }
  // As for CIFAR-10: the mean of the training part only, so the held-out images stay unseen.
  const split = splitIndices(train.count, valSize, splitSeed);
  const mean = pixelMean(train, split.train);
  const all = new ArrayDataset(`${name}/train+val`, train, classNames, { mean, pad, flip, erase });
  return {
    train: new SubsetDataset(`${name}/train`, all, split.train),
    val: new SubsetDataset(`${name}/val`, all.with({ pad: 0, flip: false, erase: undefined }), split.val),
    test: testSet(mean),
    mean,
    classNames,
  };
}
