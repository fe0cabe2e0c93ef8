// The MNIST family (MNIST, Fashion-MNIST) from the local disk: a folder holding the four IDX files,
// gzip-compressed as distributed or unpacked. The parsing lives in @resnet/core (it runs in browsers
// too); this file finds and reads the files, and names the path when something is missing. Where a
// set is looked for, in order: the folder given; Debian's package (`apt-get install
// dataset-fashion-mnist` puts Fashion-MNIST in /usr/share/datasets/fashion-mnist); the cache, where
// downloadMnist puts what it fetches.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MNIST_FILES,
  MNIST_SETS,
  mnistDatasets,
  type MnistData,
  type MnistFileRole,
  type MnistFiles,
  type MnistKind,
  type MnistOptions,
} from '@resnet/core';
import { defaultCacheDir } from '../download/verified.js';
import { FileIOError, readBytes, systemError } from '../files.js';

/** Where Debian's `dataset-*` packages install data sets. */
export const DEBIAN_DATASETS_DIR = '/usr/share/datasets';

/** The Debian package that installs a set, if there is one. */
export const MNIST_DEBIAN_PACKAGES: Readonly<Partial<Record<MnistKind, string>>> = { 'fashion-mnist': 'dataset-fashion-mnist' };

/** The images in each part as distributed: a file of another count is refused unless asked for (tests). */
export const MNIST_COUNTS = { train: 60_000, test: 10_000 } as const;

export interface MnistReadOptions extends MnistOptions {
  /**
   * The images the training and test files must hold: MNIST_COUNTS (60,000 and 10,000), as
   * distributed, so a truncated copy never trains silently on part of the data. Set it only to
   * read a cut-down copy made on purpose (tests).
   */
  readonly counts?: { readonly train: number; readonly test: number };
}

function checkKind(kind: string): asserts kind is MnistKind {
  if (!Object.hasOwn(MNIST_SETS, kind))
    throw new FileIOError(`node-io: unknown set "${kind}"; expected ${Object.keys(MNIST_SETS).join(' or ')}`);
}

/** The folders a set is looked for in when none is given, in order: Debian's package, then the cache. */
export function mnistFolders(kind: MnistKind, cacheDir = defaultCacheDir()): string[] {
  checkKind(kind);
  return [...(MNIST_DEBIAN_PACKAGES[kind] ? [join(DEBIAN_DATASETS_DIR, kind)] : []), join(cacheDir, kind)];
}

/** The four files' paths in `folder` (each `<name>.gz`, or unpacked `<name>`), or why not. */
async function filesIn(folder: string): Promise<{ paths?: Record<MnistFileRole, string>; missing: string[] }> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: Object.values(MNIST_FILES) };
    throw systemError('read', folder, error);
  }
  const paths: Partial<Record<MnistFileRole, string>> = {};
  const missing: string[] = [];
  for (const [role, gz] of Object.entries(MNIST_FILES) as [MnistFileRole, string][]) {
    const raw = gz.replace(/\.gz$/, '');
    const found = names.includes(gz) ? gz : names.includes(raw) ? raw : undefined;
    if (found) paths[role] = join(folder, found);
    else missing.push(gz);
  }
  return missing.length ? { missing } : { paths: paths as Record<MnistFileRole, string>, missing };
}

/** The first folder of `mnistFolders` that holds all four files, or undefined. */
export async function findMnist(kind: MnistKind, cacheDir?: string): Promise<string | undefined> {
  for (const folder of mnistFolders(kind, cacheDir)) if ((await filesIn(folder)).paths) return folder;
  return undefined;
}

/** Reads the four files of `folder` (for the browser, core's mnistDatasets takes them from File objects). */
export async function readMnistFiles(folder: string): Promise<MnistFiles> {
  const { paths, missing } = await filesIn(folder);
  if (!paths)
    throw new FileIOError(
      `node-io: ${folder} does not hold the MNIST-format files: missing ${missing.join(', ')} (each gzip-compressed as distributed, or unpacked without .gz)`,
      { code: 'ENOENT' },
    );
  const out: Partial<Record<MnistFileRole, { name: string; bytes: Uint8Array }>> = {};
  for (const [role, file] of Object.entries(paths) as [MnistFileRole, string][]) out[role] = { name: file, bytes: await readBytes(file) };
  return out as MnistFiles;
}

/**
 * MNIST or Fashion-MNIST as training, validation (optional) and test sets, from `folder` (or, without
 * one, from the first of `mnistFolders` that holds the files). The counts are checked against the
 * distribution's (`counts`).
 */
export async function loadMnist(
  kind: MnistKind,
  folder?: string,
  options: MnistReadOptions & { readonly cacheDir?: string } = {},
): Promise<MnistData & { readonly folder: string }> {
  checkKind(kind);
  const { counts = MNIST_COUNTS, cacheDir, ...datasetOptions } = options;
  const at = folder ?? (await findMnist(kind, cacheDir));
  if (at === undefined) {
    const where = mnistFolders(kind, cacheDir);
    const pkg = MNIST_DEBIAN_PACKAGES[kind];
    throw new FileIOError(
      `node-io: ${MNIST_SETS[kind].title} is not in ${where.join(' or ')}; ${pkg ? `apt-get install ${pkg}, or ` : ''}download it (downloadMnist, or resnet train --download)`,
      { code: 'ENOENT' },
    );
  }
  const data = await mnistDatasets(kind, await readMnistFiles(at), datasetOptions);
  const sizes = { train: data.train.size + (data.val?.size ?? 0), test: data.test.size };
  for (const part of ['train', 'test'] as const) {
    if (sizes[part] !== counts[part])
      throw new FileIOError(
        `node-io: ${MNIST_SETS[kind].title} in ${at} has ${sizes[part].toLocaleString('en-US')} ${part === 'train' ? 'training' : 'test'} images, expected ${counts[part].toLocaleString('en-US')}: a file is truncated or from another set`,
      );
  }
  return { ...data, folder: at };
}
