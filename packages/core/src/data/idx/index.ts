// The MNIST family (MNIST, Fashion-MNIST) in its IDX files, from bytes (Node and browsers).
export { isGzip, parseIdx, readIdx, type IdxArray } from './idx.js';
export {
  MNIST_FILES,
  MNIST_SETS,
  MNIST_SIZE,
  mnistDatasets,
  parseMnistPair,
  type MnistData,
  type MnistFileRole,
  type MnistFiles,
  type MnistKind,
  type MnistOptions,
  type MnistSetInfo,
} from './mnist.js';
