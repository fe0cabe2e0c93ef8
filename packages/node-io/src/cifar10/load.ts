// CIFAR-10 from the local disk: a folder of the binary batches (as unpacked from the archive), or
// the archive itself. The parsing lives in @resnet/core (it runs in browsers too); this file only
// finds and reads the files, and names the path when something is missing.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CIFAR10_FILES,
  CIFAR10_FOLDER,
  CIFAR10_RECORD_BYTES,
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

/** The records in each batch file of the distribution (5 training batches and the test batch). */
export const CIFAR10_RECORDS_PER_BATCH = 10_000;

export interface Cifar10ReadOptions {
  /**
   * The records each of the six batch files must hold: CIFAR10_RECORDS_PER_BATCH (10,000), as
   * distributed. A file of any other size is refused, naming it, so a truncated copy never trains
   * silently on part of the data. Set it only to read a cut-down copy made on purpose (tests).
   */
  readonly recordsPerBatch?: number;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** Refuses a batch file that does not hold exactly `records` records; `name` is its path (or name in the archive). */
function checkBatchSize(name: string, bytes: Uint8Array, records: number): void {
  const expected = records * CIFAR10_RECORD_BYTES;
  if (bytes.length === expected) return;
  const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
  const rest = bytes.length - whole * CIFAR10_RECORD_BYTES;
  const holds = `${count(whole)} record${whole === 1 ? '' : 's'}${rest > 0 ? ` and ${count(rest)} byte${rest === 1 ? '' : 's'}` : ''}`;
  throw new FileIOError(
    `node-io: ${name} has ${count(bytes.length)} bytes (${holds}), expected ${count(expected)} bytes ` +
      `(${count(records)} records of ${count(CIFAR10_RECORD_BYTES)} bytes) in the binary version of CIFAR-10: ` +
      'the file is truncated or is not a CIFAR-10 batch',
  );
}

function recordsOption(options: Cifar10ReadOptions): number {
  const records = options.recordsPerBatch ?? CIFAR10_RECORDS_PER_BATCH;
  if (!(Number.isSafeInteger(records) && records > 0))
    throw new FileIOError(`node-io: recordsPerBatch must be a positive integer, got ${JSON.stringify(records)}`);
  return records;
}

/**
 * Reads the six batch files from `path`: a folder holding them, a folder with a
 * `cifar-10-batches-bin` subfolder or a `cifar-10-binary.tar.gz` (a downloadCifar10 cache), or the
 * `.tar.gz` itself. Each must hold exactly 10,000 records (see `recordsPerBatch`); a file of another
 * size is refused, naming it, its size and the size expected.
 */
export async function readCifar10Files(path: string, options: Cifar10ReadOptions = {}): Promise<Cifar10Files> {
  const records = recordsOption(options);
  if (typeof path !== 'string' || path.length === 0)
    throw new FileIOError(`node-io: expected a path to ${EXPECTED}, got ${JSON.stringify(path)}`);
  const what = await kind(path);
  if (what === undefined)
    throw new FileIOError(`node-io: cannot read CIFAR-10 from ${path}: no such file or directory (ENOENT); expected ${EXPECTED}`, {
      code: 'ENOENT',
    });
  if (what === 'file') {
    const files = await cifar10FromTarGz(await readBytes(path), path);
    for (const f of CIFAR10_FILES) checkBatchSize(`${f} in ${path}`, files[f]!, records);
    return files;
  }

  const present = async (dir: string) => (await Promise.all(CIFAR10_FILES.map((f) => kind(join(dir, f))))).map((k) => k === 'file');
  let dir = path;
  let found = await present(dir);
  if (!found.some(Boolean)) {
    const sub = join(path, CIFAR10_FOLDER);
    if ((await kind(sub)) === 'directory') {
      dir = sub;
      found = await present(dir);
    } else if ((await kind(join(path, CIFAR10_ARCHIVE))) === 'file') {
      return readCifar10Files(join(path, CIFAR10_ARCHIVE), options);
    }
  }
  const missing = CIFAR10_FILES.filter((_, i) => !found[i]);
  if (missing.length > 0) {
    throw new FileIOError(`node-io: ${dir} has no ${missing.join(', ')}; expected ${EXPECTED}`, { code: 'ENOENT' });
  }
  const files: Record<string, Uint8Array> = {};
  for (const f of CIFAR10_FILES) {
    files[f] = await readBytes(join(dir, f));
    checkBatchSize(join(dir, f), files[f], records);
  }
  return files;
}

/**
 * The paper's CIFAR-10 data sets (Sec. 4.2; see cifar10Datasets in @resnet/core) from a folder of
 * the binary batches or the `.tar.gz` archive, each batch exactly 10,000 records (see
 * readCifar10Files). Downloads nothing: see downloadCifar10.
 */
export async function loadCifar10(path: string, options: Cifar10Options & Cifar10ReadOptions = {}): Promise<Cifar10Data> {
  const { recordsPerBatch, ...datasetOptions } = options;
  const files = await readCifar10Files(path, recordsPerBatch !== undefined ? { recordsPerBatch } : {});
  try {
    return cifar10Datasets(files, datasetOptions);
  } catch (error) {
    // The parser names the file (data_batch_3.bin); say where it was read from.
    if (error instanceof ResNetError && !error.message.includes(path)) throw new ResNetError(`${error.message} (reading ${path})`);
    throw error;
  }
}
