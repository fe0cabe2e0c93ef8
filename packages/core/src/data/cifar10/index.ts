// CIFAR-10 in its official binary format, from bytes (Node and browsers): the batch parser, the
// archive readers (tar, gzip) and the paper's data sets (Sec. 4.2).
export {
  CIFAR10_CHANNELS,
  CIFAR10_CLASS_NAMES,
  CIFAR10_FILES,
  CIFAR10_FOLDER,
  CIFAR10_HEIGHT,
  CIFAR10_MD5,
  CIFAR10_RECORD_BYTES,
  CIFAR10_SIZE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  CIFAR10_URL,
  CIFAR10_WIDTH,
} from './constants.js';
export { cifar10RecordCount, parseCifar10Batch, parseCifar10Batches, type Cifar10Batch } from './binary.js';
export {
  checkCifar10Files,
  cifar10Datasets,
  cifar10FromTarGz,
  type Cifar10Data,
  type Cifar10Files,
  type Cifar10Options,
} from './datasets.js';
export { gunzip } from './gzip.js';
export { readTar, type TarEntry } from './tar.js';
