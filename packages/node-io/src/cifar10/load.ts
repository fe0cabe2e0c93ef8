// CIFAR-10 from the local disk: a folder of the binary batches (as unpacked from the archive), or
// the archive itself. The parsing lives in @resnet/core (it runs in browsers too); this file only
// finds and reads the files, and names the path when something is missing.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CIFAR10_FILES,
  CIFAR10_FOLDER,
  ResNetError,
  cifar10Datasets,
  cifar10FromTarGz,
  type Cifar10Data,
  type Cifar10Files,
  type Cifar10Options,
} from '@resnet/core';
import { FileIOError, readBytes, systemError } from '../files.js';

/** The archive's name as distributed (and as downloadCifar10 caches it). */
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';

const EXPECTED =
  `the CIFAR-10 binary batches (${CIFAR10_FILES.join(', ')}), a ${CIFAR10_FOLDER} folder holding them, ` +
  `or the ${CIFAR10_ARCHIVE} archive`;

async function kind(path: string): Promise<'file' | 'directory' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'directory' : 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemError('read', path, error);
  }
}

/**
 * Reads the six batch files from `path`: a folder holding them, a folder with a
 * `cifar-10-batches-bin` subfolder or a `cifar-10-binary.tar.gz` (a downloadCifar10 cache), or the
 * `.tar.gz` itself.
 */
export async function readCifar10Files(path: string): Promise<Cifar10Files> {
  if (typeof path !== 'string' || path.length === 0)
    throw new FileIOError(`node-io: expected a path to ${EXPECTED}, got ${JSON.stringify(path)}`);
  const what = await kind(path);
  if (what === undefined)
    throw new FileIOError(`node-io: cannot read CIFAR-10 from ${path}: no such file or directory (ENOENT); expected ${EXPECTED}`, {
      code: 'ENOENT',
    });
  if (what === 'file') return cifar10FromTarGz(await readBytes(path), path);

  const present = async (dir: string) => (await Promise.all(CIFAR10_FILES.map((f) => kind(join(dir, f))))).map((k) => k === 'file');
  let dir = path;
  let found = await present(dir);
  if (!found.some(Boolean)) {
    const sub = join(path, CIFAR10_FOLDER);
    if ((await kind(sub)) === 'directory') {
      dir = sub;
      found = await present(dir);
    } else if ((await kind(join(path, CIFAR10_ARCHIVE))) === 'file') {
      return readCifar10Files(join(path, CIFAR10_ARCHIVE));
    }
  }
  const missing = CIFAR10_FILES.filter((_, i) => !found[i]);
  if (missing.length > 0) {
    throw new FileIOError(`node-io: ${dir} has no ${missing.join(', ')}; expected ${EXPECTED}`, { code: 'ENOENT' });
  }
  const files: Record<string, Uint8Array> = {};
  for (const f of CIFAR10_FILES) files[f] = await readBytes(join(dir, f));
  return files;
}

/**
 * The paper's CIFAR-10 data sets (Sec. 4.2; see cifar10Datasets in @resnet/core) from a folder of
 * the binary batches or the `.tar.gz` archive. Downloads nothing: see downloadCifar10.
 */
export async function loadCifar10(path: string, options: Cifar10Options = {}): Promise<Cifar10Data> {
  const files = await readCifar10Files(path);
  try {
    return cifar10Datasets(files, options);
  } catch (error) {
    // The parser names the file (data_batch_3.bin); say where it was read from.
    if (error instanceof ResNetError && !error.message.includes(path)) throw new ResNetError(`${error.message} (reading ${path})`);
    throw error;
  }
}
