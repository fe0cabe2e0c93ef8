/**
 * Facts about the official CIFAR-10 distribution (https://www.cs.toronto.edu/~kriz/cifar.html),
 * binary version: where it lives, how to check a download, and the layout of its files. Kept apart
 * from the readers so a downloader (packages/node-io) can check a file without parsing it.
 */

/** The binary version of CIFAR-10 (not the Python or MATLAB one), as published by its authors. */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** The MD5 of `cifar-10-binary.tar.gz` published on the CIFAR page. */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
/** The size in bytes of `cifar-10-binary.tar.gz`. */
export const CIFAR10_SIZE = 170_052_171;
/** The folder inside the archive that holds the batches. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

/** The five training batches (10,000 images each), in order: together the 50k training set. */
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
/** The 10,000 test images. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** Every file the data sets are built from. */
export const CIFAR10_FILES = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE] as const;

/** Label index → name, in the order of the distribution's `batches.meta.txt`. */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);

/** Image geometry: 32×32 RGB. */
export const CIFAR10_HEIGHT = 32;
export const CIFAR10_WIDTH = 32;
export const CIFAR10_CHANNELS = 3;
/** One record: a label byte, then 1024 red, 1024 green and 1024 blue bytes (rows top to bottom). */
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_HEIGHT * CIFAR10_WIDTH * CIFAR10_CHANNELS;
