export type { Dataset, ImageBatch } from './types.js';
export { ArrayDataset, SubsetDataset, checkImageArray, pixelMean, splitIndices, type ArrayDatasetOptions, type ImageArray } from './array_dataset.js';
export * from './cifar10/index.js';
export * from './images/index.js';
