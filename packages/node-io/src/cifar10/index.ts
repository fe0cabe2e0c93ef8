// CIFAR-10 in Node: load the binary batches from a folder or the archive, and download the archive
// (only when asked) into a checksum-verified cache.
export { CIFAR10_ARCHIVE, CIFAR10_RECORDS_PER_BATCH, loadCifar10, readCifar10Files, type Cifar10ReadOptions } from './load.js';
export { defaultCacheDir, downloadCifar10, type DownloadCifar10Options } from './download.js';
