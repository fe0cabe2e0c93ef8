/**
 * One image file as a model input, for `resnet predict <image>`: read, decoded with sharp, shorter
 * side resized and centre-cropped as the model's test images were (core's evalResizeFor).
 */
import { ResNetError, decodeForModel, type ImageDecoder, type ModelImageOptions } from '@resnet/core';
import { FileIOError, readBytes } from '../files.js';
import { loadSharp, sharpImageDecoder } from './sharp_decoder.js';

export interface LoadImageOptions extends ModelImageOptions {
  /** Default: sharpImageDecoder(). */
  readonly decoder?: ImageDecoder;
}

/**
 * The image at `path` as size×size×3 floats (HWC): shorter side resized to `resize` (default
 * core's evalResizeFor(size): 32 for 32, 256 for 224), the centre crop, then `scale` (default 1/255),
 * `mean` (3 values, or the per-pixel mean image of the training set) and `std`. Feed it to the
 * model as `tf.tensor4d(x, [1, size, size, 3])`.
 */
export async function loadImageForModel(path: string, options: LoadImageOptions): Promise<Float32Array> {
  const { decoder, ...rest } = options;
  const bytes = await readBytes(path);
  if (!decoder) await loadSharp();
  try {
    return await decodeForModel(bytes, decoder ?? sharpImageDecoder(), rest, path);
  } catch (error) {
    if (error instanceof ResNetError) throw new FileIOError(`node-io: ${error.message}`, { cause: error });
    throw error;
  }
}
