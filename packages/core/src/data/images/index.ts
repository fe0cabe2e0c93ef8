/**
 * ImageNet-style image folders (root/<class name>/*.jpg) as data sets, with the paper's ImageNet
 * augmentation (from data/augment/) and testing views (Sec. 3.4). Backend-agnostic and browser-safe:
 * the platform supplies the decoder and the file source (@resnet/node-io for Node, browser.ts here
 * for browsers).
 */
export { IMAGE_CHANNELS, checkDecoded, resizedShape, type DecodedImage, type ImageDecoder, type ImageResize } from './decoder.js';
export {
  IMAGE_EXTENSIONS,
  compareNames,
  imageListing,
  isImageFileName,
  type ClassFolder,
  type FileSource,
  type ImageFile,
  type ListingOptions,
} from './source.js';
export { MULTI_SCALE_SIZES, TEN_CROP_VIEWS, averageViewScores, centerCrop, tenCrop, type CropWindow } from './geometry.js';
export { Normaliser, TORCHVISION_MEAN, TORCHVISION_STD, writeCrop, type NormaliseOptions } from './normalise.js';
export {
  ImageFolderDataset,
  computeMeanImage,
  type ImageFolderOptions,
  type ImageFolderView,
  type MeanImageOptions,
} from './image_folder.js';
export { decodeForModel, evalResizeFor, type ModelImageOptions } from './single_image.js';
export {
  browserFileSource,
  browserImageDecoder,
  type BrowserDecoderOptions,
  type BrowserFileSourceOptions,
  type RelativeFile,
} from './browser.js';
