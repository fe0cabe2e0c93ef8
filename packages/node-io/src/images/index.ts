/**
 * Image files in Node: sharp as the decoder, image folders on disk as @resnet/core data sets, and one
 * image file as a model input (for predict).
 */
export { sharpImageDecoder, type SharpDecoderOptions, type SharpFailOn, type SharpKernel } from './sharp_decoder.js';
export { imageFolder, imageFolderSource, type ImageFolderReadOptions } from './folder.js';
export { loadImageForModel, type LoadImageOptions } from './single_image.js';
