export { downloadMnist, type DownloadMnistOptions } from './download.js';
export {
  DEBIAN_DATASETS_DIR,
  MNIST_COUNTS,
  MNIST_DEBIAN_PACKAGES,
  findMnist,
  loadMnist,
  mnistFolders,
  readMnistFiles,
  type MnistReadOptions,
} from './load.js';
