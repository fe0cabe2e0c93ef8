/**
 * Where the files of an image folder come from: a list of (path, label) and a way to read a path's
 * bytes. Node lists a directory with fs (@resnet/node-io); a browser gets File objects from a folder
 * picker (browser.ts). The ImageNet layout `root/<class name>/*.jpg` and its rules (classes sorted by
 * name, which files count as images, no empty class) live here so both platforms number the classes
 * the same way.
 */
import { ResNetError } from '../../errors.js';

export interface ImageFile {
  /** What `read` takes, and what error messages name. */
  readonly path: string;
  readonly label: number;
}

export interface FileSource {
  /** The folder, for messages and the data set's name: `/data/imagenet/train`. */
  readonly name: string;
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  /** Every image, by class (label order), then by path. */
  readonly files: readonly ImageFile[];
  read(path: string): Promise<Uint8Array>;
}

/** The file name endings taken as images, matched without regard to case (`.JPEG` is ImageNet's). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

/** Whether a file name is an image of the folder: a known extension, and not hidden (`.DS_Store`, `._x.jpg`). */
export function isImageFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/** Name order by UTF-16 code units, as Python's sorted() (torchvision's ImageFolder): the same on every platform and locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One class folder: its name and the paths of its images (any order). */
export interface ClassFolder {
  readonly name: string;
  readonly paths: readonly string[];
}

export interface ListingOptions {
  /**
   * Number the classes by this list instead of the sorted folder names, e.g. a validation folder
   * with the training set's classes. Every folder must be in it; classes without a folder are allowed.
   */
  readonly classNames?: readonly string[];
}

/**
 * The classes and files of an image folder `root` from its class folders: classes sorted by name
 * (label = index), files sorted by path within each class. Throws when there is no class, when a
 * class folder holds no image, or when a folder is not among `options.classNames`.
 */
export function imageListing(
  root: string,
  folders: readonly ClassFolder[],
  options: ListingOptions = {},
): { classNames: string[]; files: ImageFile[] } {
  const expected = `expected ${root}/<class name>/*.jpg|jpeg|png`;
  if (folders.length === 0) throw new ResNetError(`image folder ${root}: no class folders (${expected})`);
  const seen = new Set<string>();
  for (const folder of folders) {
    if (seen.has(folder.name)) throw new ResNetError(`image folder ${root}: class "${folder.name}" is listed twice`);
    seen.add(folder.name);
    if (folder.paths.length === 0)
      throw new ResNetError(`image folder ${root}: class folder "${folder.name}" has no images (.jpg, .jpeg or .png)`);
  }
  let classNames: string[];
  if (options.classNames) {
    classNames = [...options.classNames];
    if (new Set(classNames).size !== classNames.length) throw new ResNetError(`image folder ${root}: the classNames given repeat a name`);
    const unknown = folders.map((f) => f.name).filter((name) => !classNames.includes(name));
    if (unknown.length > 0) {
      throw new ResNetError(
        `image folder ${root}: folder${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} not among the ${classNames.length} classes given`,
      );
    }
  } else {
    classNames = folders.map((f) => f.name).sort(compareNames);
  }
  const label = new Map(classNames.map((name, i) => [name, i]));
  const files: ImageFile[] = [];
  for (const folder of [...folders].sort((a, b) => label.get(a.name)! - label.get(b.name)!)) {
    for (const path of [...folder.paths].sort(compareNames)) files.push({ path, label: label.get(folder.name)! });
  }
  return { classNames, files };
}
