/**
 * The Node image decoder: sharp (libvips, prebuilt for each platform from npm), which decodes JPEG
 * and PNG (also CMYK, greyscale and 16-bit ones, as ImageNet has a few) and resizes in one pipeline,
 * shrinking JPEGs while decoding. Images are turned upright by their EXIF orientation, as browsers do,
 * and converted to 8-bit sRGB without alpha.
 *
 * sharp is loaded on first use, not when @resnet/node-io is imported: saving and loading models must
 * keep working on a platform where sharp's native binary is missing.
 */
import { resizedShape, type DecodedImage, type ImageDecoder, type ImageResize } from '@resnet/core';
import type Sharp from 'sharp';
import { FileIOError } from '../files.js';

export type SharpKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3' | 'mks2013' | 'mks2021';
export type SharpFailOn = 'none' | 'truncated' | 'error' | 'warning';

export interface SharpDecoderOptions {
  /** Resampling kernel. Default `linear` (bilinear, widened when shrinking, like PIL's antialiased bilinear that torchvision uses). */
  readonly kernel?: SharpKernel;
  /**
   * Which problems make decoding fail (sharp's `failOn`). Default `error`: a cut-off file and damaged
   * pixel data (a PNG chunk whose CRC does not match, a broken compressed stream) are errors, so a
   * damaged image is never classified or trained on as silently wrong pixels; the harmless warnings
   * some ImageNet JPEGs raise (extraneous bytes before a marker) are not. `truncated` lets damage
   * that still decodes through; `warning` refuses those JPEGs too.
   */
  readonly failOn?: SharpFailOn;
}

const KERNELS: readonly SharpKernel[] = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'];
const FAIL_ON: readonly SharpFailOn[] = ['none', 'truncated', 'error', 'warning'];

let loading: Promise<typeof Sharp> | undefined;
let loaded: typeof Sharp | undefined;

/** @internal sharp, loaded once; a FileIOError that says how to install it when it cannot load. */
export function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then(
    (module) => (loaded = module.default),
    (error: unknown) => {
      loading = undefined;
      throw new FileIOError(
        `node-io: cannot load sharp, the image decoder (${error instanceof Error ? error.message : String(error)}); ` +
          'install it with `npm install sharp` (it brings a prebuilt libvips for this platform), or pass another decoder',
        { cause: error },
      );
    },
  );
  return loading;
}

/** An ImageDecoder backed by sharp. */
export function sharpImageDecoder(options: SharpDecoderOptions = {}): ImageDecoder {
  const kernel = options.kernel ?? 'linear';
  const failOn = options.failOn ?? 'error';
  if (!KERNELS.includes(kernel))
    throw new FileIOError(`node-io: sharpImageDecoder: kernel must be one of ${KERNELS.join(', ')}, got ${JSON.stringify(kernel)}`);
  if (!FAIL_ON.includes(failOn))
    throw new FileIOError(`node-io: sharpImageDecoder: failOn must be one of ${FAIL_ON.join(', ')}, got ${JSON.stringify(failOn)}`);
  return {
    get name(): string {
      return `sharp${loaded?.versions.sharp ? ` ${loaded.versions.sharp}` : ''} (${kernel})`;
    },
    async decode(bytes: Uint8Array, resize?: ImageResize): Promise<DecodedImage> {
      const sharp = await loadSharp();
      try {
        return await shared(() => decodeOnce(sharp, bytes, resize, kernel, failOn));
      } catch {
        // libvips' error text is shared between threads: with other images decoding at the same time
        // a failure can come back without its reason ("Unknown error", "corrupt header:" and nothing
        // more). Failures are rare, so each is decoded again, alone, for the real reason.
        return await alone(() => decodeOnce(sharp, bytes, resize, kernel, failOn));
      }
    },
  };
}

/** Decodes running now, and the gate an `alone` decode holds while it waits for them and runs. */
let running = 0;
let gate: Promise<void> | undefined;
let onIdle: (() => void) | undefined;

async function shared<T>(fn: () => Promise<T>): Promise<T> {
  while (gate) await gate;
  running++;
  try {
    return await fn();
  } finally {
    if (--running === 0) onIdle?.();
  }
}

async function alone<T>(fn: () => Promise<T>): Promise<T> {
  while (gate) await gate;
  let release = (): void => {};
  gate = new Promise<void>((resolve) => (release = resolve));
  try {
    if (running > 0) await new Promise<void>((resolve) => (onIdle = resolve));
    onIdle = undefined;
    return await fn();
  } finally {
    gate = undefined;
    release();
  }
}

async function decodeOnce(
  sharp: typeof Sharp,
  bytes: Uint8Array,
  resize: ImageResize | undefined,
  kernel: SharpKernel,
  failOn: SharpFailOn,
): Promise<DecodedImage> {
  // The header gives the size (upright, after EXIF orientation) without decoding the pixels.
  const meta = await sharp(bytes, { failOn }).metadata();
  const stored = meta.autoOrient ?? { width: meta.width, height: meta.height };
  if (!(stored.width && stored.height)) throw new Error(`no image size in the ${meta.format ?? 'unknown'} header`);
  const target = resizedShape(stored.height, stored.width, resize);
  let pipeline = sharp(bytes, { failOn }).autoOrient();
  if (target.height !== stored.height || target.width !== stored.width) {
    pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel });
  }
  const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`sharp gave ${info.channels} channels, expected 3 (RGB)`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width };
}
