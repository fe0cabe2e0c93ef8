export type { Dataset, ImageBatch } from './types.js';
export {
  ArrayDataset,
  SubsetDataset,
  checkImageArray,
  pixelMean,
  splitIndices,
  type ArrayDatasetOptions,
  type ImageArray,
} from './array_dataset.js';
export * from './augment/index.js';
export * from './cifar10/index.js';
export * from './idx/index.js';
export * from './images/index.js';
export { DataLoader, type LoaderOptions, type LoaderPosition, type PositionedBatch, type ShuffleMode } from './loader.js';
export {
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
  drawSynthetic,
  generateSynthetic,
  syntheticDatasets,
  type SyntheticDatasets,
  type SyntheticOptions,
} from './synthetic.js';
