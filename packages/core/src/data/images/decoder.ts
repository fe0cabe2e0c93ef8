/**
 * What a platform supplies to read image files: a decoder from JPEG/PNG bytes to 8-bit RGB pixels,
 * resized on the way (sharp in Node, createImageBitmap in browsers). The data set code never touches
 * a codec, so it runs unchanged on either. The target size is computed here, once, so every decoder
 * resizes an image to exactly the same height and width.
 */
import { positiveInteger } from '../../checks.js';
import { ResNetError } from '../../errors.js';

/** 8-bit RGB pixels, row-major HWC (height × width × 3 bytes), alpha dropped. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
}

/**
 * How to resize while decoding: `shorterSide` keeps the aspect ratio and makes the shorter side that
 * many pixels (the longer one follows `resizedShape`); `height` and `width` resize to exactly that.
 */
export type ImageResize = { readonly shorterSide: number } | { readonly height: number; readonly width: number };

export interface ImageDecoder {
  /** For messages: `sharp 0.34.5`, `createImageBitmap`. */
  readonly name: string;
  /**
   * Decodes JPEG or PNG `bytes` to RGB, resized as asked (bilinear or area filtering: the decoder's
   * choice), or at the stored size when `resize` is absent. Rejects when the bytes are not an image.
   */
  decode(bytes: Uint8Array, resize?: ImageResize): Promise<DecodedImage>;
}

/** Channels of every decoded image. */
export const IMAGE_CHANNELS = 3;

function checkSide(value: number, what: string): void {
  positiveInteger('image', what, value);
}

/**
 * The size an image of `height` × `width` becomes under `resize`. With `shorterSide: s` the shorter
 * side becomes s and the longer one ⌊longer · s / shorter⌋ (truncated, as torchvision's Resize does),
 * never less than s; a square stays square.
 */
export function resizedShape(height: number, width: number, resize?: ImageResize): { height: number; width: number } {
  checkSide(height, 'height');
  checkSide(width, 'width');
  if (resize === undefined) return { height, width };
  if ('shorterSide' in resize) {
    const s = resize.shorterSide;
    checkSide(s, 'shorterSide');
    // Integer products and a correctly rounded division: a ratio that is an integer comes out exact.
    const longer = (long: number, short: number): number => Math.max(s, Math.floor((long * s) / short));
    return height <= width ? { height: s, width: longer(width, height) } : { height: longer(height, width), width: s };
  }
  checkSide(resize.height, 'resize height');
  checkSide(resize.width, 'resize width');
  return { height: resize.height, width: resize.width };
}

/**
 * Checks that a decoder kept its contract for `resize` (shorter side or exact size as asked, 3
 * channels, the whole buffer), naming `what` (the file) and the decoder.
 */
export function checkDecoded(image: DecodedImage, resize: ImageResize | undefined, what: string, decoder: string): void {
  const { height, width, data } = image;
  if (!(Number.isInteger(height) && height >= 1 && Number.isInteger(width) && width >= 1)) {
    throw new ResNetError(`image: ${decoder} decoded ${what} to an invalid size ${height}×${width}`);
  }
  if (resize && 'shorterSide' in resize && Math.min(height, width) !== resize.shorterSide) {
    throw new ResNetError(`image: ${decoder} decoded ${what} to ${height}×${width}, expected the shorter side to be ${resize.shorterSide}`);
  }
  if (resize && 'height' in resize && (height !== resize.height || width !== resize.width)) {
    throw new ResNetError(`image: ${decoder} decoded ${what} to ${height}×${width}, expected ${resize.height}×${resize.width}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== height * width * IMAGE_CHANNELS) {
    throw new ResNetError(
      `image: ${decoder} decoded ${what} to ${data?.length} bytes, expected ${height}×${width}×${IMAGE_CHANNELS} = ${height * width * IMAGE_CHANNELS} (RGB, HWC)`,
    );
  }
}
