/**
 * The browser's side of image folders: a decoder built on the browser's own codecs
 * (createImageBitmap, which also resizes, and an OffscreenCanvas to read the pixels back) and a file
 * source over the File objects of a folder picker (`<input type="file" webkitdirectory>`). Nothing
 * here runs at import time, so importing @resnet/core in Node stays safe; the functions need a window
 * or a worker.
 */
import { ResNetError } from '../../errors.js';
import { IMAGE_CHANNELS, resizedShape, type DecodedImage, type ImageDecoder, type ImageResize } from './decoder.js';
import { imageListing, isImageFileName, type ClassFolder, type FileSource, type ListingOptions } from './source.js';

export interface BrowserDecoderOptions {
  /** createImageBitmap's `resizeQuality`. Default `high` (filtered downscaling). */
  readonly resizeQuality?: ResizeQuality;
}

/** A decoder using createImageBitmap (with resizeWidth/resizeHeight) and OffscreenCanvas getImageData; alpha is dropped. */
export function browserImageDecoder(options: BrowserDecoderOptions = {}): ImageDecoder {
  const resizeQuality = options.resizeQuality ?? 'high';
  return {
    name: `createImageBitmap (resizeQuality ${resizeQuality})`,
    async decode(bytes: Uint8Array, resize?: ImageResize): Promise<DecodedImage> {
      if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
        throw new ResNetError(
          'browserImageDecoder: this environment has no createImageBitmap or OffscreenCanvas (it needs a browser window or worker)',
        );
      }
      // Blob wants bytes backed by a plain ArrayBuffer; copy when they are a view of something else.
      const plain = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
      const original = await createImageBitmap(new Blob([plain]));
      let bitmap = original;
      try {
        const { height, width } = resizedShape(original.height, original.width, resize);
        if (height !== original.height || width !== original.width) {
          bitmap = await createImageBitmap(original, { resizeWidth: width, resizeHeight: height, resizeQuality });
        }
        const canvas = new OffscreenCanvas(width, height);
        const context = canvas.getContext('2d', { willReadFrequently: true });
        if (!context) throw new ResNetError('browserImageDecoder: OffscreenCanvas gave no 2D context');
        context.drawImage(bitmap, 0, 0);
        const rgba = context.getImageData(0, 0, width, height).data;
        const data = new Uint8Array(width * height * IMAGE_CHANNELS);
        for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
          data[q] = rgba[p]!;
          data[q + 1] = rgba[p + 1]!;
          data[q + 2] = rgba[p + 2]!;
        }
        return { data, height, width };
      } finally {
        if (bitmap !== original) bitmap.close();
        original.close();
      }
    },
  };
}

/** A file with its path below the picked folder, for sources other than a folder picker (e.g. drag and drop). */
export interface RelativeFile {
  readonly path: string;
  readonly file: Blob;
}

export interface BrowserFileSourceOptions extends ListingOptions {
  /** The data set's folder name in messages. Default: the picked folder's name. */
  readonly name?: string;
}

/**
 * An image folder from the files of a folder picker: each File's `webkitRelativePath` is
 * `<picked folder>/<class name>/…/<image>`, so the class of a file is the first folder below the
 * picked one (its parent folder in the usual one-level layout; deeper files belong to the class they
 * are under, as in torchvision). Files directly in the picked folder, hidden files and folders, and
 * files that are not .jpg/.jpeg/.png are left out. Classes are sorted by name.
 */
export function browserFileSource(
  files: Iterable<File | RelativeFile> | ArrayLike<File | RelativeFile>,
  options: BrowserFileSourceOptions = {},
): FileSource {
  const byPath = new Map<string, Blob>();
  const classes = new Map<string, string[]>();
  let root: string | undefined;
  for (const entry of Array.from(files as ArrayLike<File | RelativeFile>)) {
    const isRelative = 'file' in entry && 'path' in entry && typeof entry.path === 'string';
    const path = isRelative ? entry.path : (entry as File).webkitRelativePath;
    const blob = isRelative ? entry.file : (entry as File);
    if (!path) {
      throw new ResNetError(
        `browserFileSource: ${(entry as File).name ?? 'a file'} has no webkitRelativePath: pick the folder with <input type="file" webkitdirectory>, or pass { path, file } entries`,
      );
    }
    const parts = path.split('/').filter((p) => p !== '');
    if (root === undefined) root = parts[0]!;
    else if (parts[0] !== root)
      throw new ResNetError(`browserFileSource: ${path} is not under ${root}/ like the files before it (pick one folder)`);
    if (parts.length < 3) continue;
    if (parts.slice(1, -1).some((p) => p.startsWith('.'))) continue;
    const className = parts[1]!;
    const list = classes.get(className) ?? [];
    classes.set(className, list);
    if (!isImageFileName(parts[parts.length - 1]!)) continue;
    list.push(path);
    byPath.set(path, blob);
  }
  const name = options.name ?? root ?? '(no files)';
  const folders: ClassFolder[] = [...classes].map(([className, paths]) => ({ name: className, paths }));
  const { classNames, files: listed } = imageListing(name, folders, options);
  return {
    name,
    classNames,
    files: listed,
    async read(path: string): Promise<Uint8Array> {
      const blob = byPath.get(path);
      if (!blob) throw new ResNetError(`browserFileSource: ${path} is not one of the ${listed.length} images of ${name}`);
      return new Uint8Array(await blob.arrayBuffer());
    },
  };
}
