/**
 * Image folders on disk (root/<class name>/*.jpg|jpeg|png, ImageNet's layout) as data sets: the
 * listing with fs (classes sorted by name, files found at any depth below their class folder, hidden
 * files and other extensions left out, symlinks followed), reads with readBytes, decoding with sharp.
 * The data set itself, with the paper's augmentation and test views, is @resnet/core's.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ImageFolderDataset,
  ResNetError,
  imageListing,
  isImageFileName,
  type ClassFolder,
  type FileSource,
  type ImageDecoder,
  type ImageFolderOptions,
  type ListingOptions,
} from '@resnet/core';
import { FileIOError, readBytes, systemError } from '../files.js';
import { loadSharp, sharpImageDecoder } from './sharp_decoder.js';

export interface ImageFolderReadOptions extends ImageFolderOptions, ListingOptions {
  /** Default: sharpImageDecoder(). */
  readonly decoder?: ImageDecoder;
}

/** Class folders listed at once. */
const LIST_CONCURRENCY = 16;

async function kindOf(
  path: string,
  entry: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean },
): Promise<'dir' | 'file' | 'other'> {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
  } catch (error) {
    throw systemError('follow the symbolic link', path, error);
  }
}

async function list(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw systemError('list', dir, error);
  }
}

/** The image files at any depth below `dir` (hidden entries skipped; a directory reached twice through links is read once). */
async function imagesUnder(dir: string, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir).catch((error: unknown) => {
    throw systemError('resolve', dir, error);
  });
  if (seen.has(real)) return [];
  seen.add(real);
  const found: string[] = [];
  for (const entry of await list(dir)) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const kind = await kindOf(path, entry);
    if (kind === 'dir') found.push(...(await imagesUnder(path, seen)));
    else if (kind === 'file' && isImageFileName(entry.name)) found.push(path);
  }
  return found;
}

/**
 * Lists the image folder at `root` as a FileSource: class = first folder level, label = index in the
 * sorted class names. At least 2 classes (class folders, or `options.classNames`) are required.
 */
export async function imageFolderSource(root: string, options: ListingOptions = {}): Promise<FileSource> {
  const dir = resolve(root);
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    throw systemError('open the image folder', dir, error);
  }
  if (!info.isDirectory())
    throw new FileIOError(`node-io: image folder ${dir} is not a directory (expected ${dir}/<class name>/*.jpg|jpeg|png)`);
  const classDirs: string[] = [];
  for (const entry of await list(dir)) {
    if (!entry.name.startsWith('.') && (await kindOf(join(dir, entry.name), entry)) === 'dir') classDirs.push(entry.name);
  }
  const folders: ClassFolder[] = new Array(classDirs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < classDirs.length) {
      const k = next++;
      folders[k] = { name: classDirs[k]!, paths: await imagesUnder(join(dir, classDirs[k]!), new Set()) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, classDirs.length) }, worker));
  let listing;
  try {
    listing = imageListing(dir, folders, options);
  } catch (error) {
    if (error instanceof ResNetError) throw new FileIOError(`node-io: ${error.message}`, { cause: error });
    throw error;
  }
  // One class cannot be learned (a softmax over one output), and training would fail far from here.
  if (listing.classNames.length < 2) {
    const names = listing.classNames.map((n) => JSON.stringify(n)).join(', ');
    throw new FileIOError(`node-io: image folder ${dir} has ${listing.classNames.length} class (${names}); a classifier needs at least 2`);
  }
  return { name: dir, classNames: listing.classNames, files: listing.files, read: readBytes };
}

/**
 * The image folder at `root` as an ImageFolderDataset (named `folder:<absolute root>`): training
 * batches with the paper's augmentation when batch() gets an rng, the `view` otherwise. Options are
 * the data set's (cropSize, scaleRange, evalResize, view, flip, lighting, scale, mean, std,
 * concurrency), plus `classNames` to number the classes by a given list and `decoder`.
 */
export async function imageFolder(root: string, options: ImageFolderReadOptions = {}): Promise<ImageFolderDataset> {
  const { decoder, classNames, ...datasetOptions } = options;
  const source = await imageFolderSource(root, classNames ? { classNames } : {});
  if (!decoder) await loadSharp(); // fail here, not at the first batch, when sharp cannot load
  try {
    return new ImageFolderDataset(source, decoder ?? sharpImageDecoder(), datasetOptions);
  } catch (error) {
    if (error instanceof ResNetError) throw new FileIOError(`node-io: ${error.message}`, { cause: error });
    throw error;
  }
}
