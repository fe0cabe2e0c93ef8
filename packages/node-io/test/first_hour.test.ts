// Issue #15, "the first hour": bad files as they really arrive (a PNG damaged on disk, short CIFAR
// batches, a model.json pointing outside its folder, a read-only folder, an image folder of one
// class) get a clear error naming the file and what was expected, and nothing is changed; a run
// folder loads from code with loadRun; loadImageForModel sizes an image as `resnet predict` does.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ResNetError,
  Training,
  createModel,
  evalResizeFor,
  parseCheckpoint,
  resolveRecipe,
  serializeCheckpoint,
  syntheticDatasets,
  type Checkpoint,
} from '@resnet/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crc32, encodePng } from '../../core/test/helpers/png.js';
import {
  CIFAR10_ARCHIVE,
  FileIOError,
  RUN_CHECKPOINT_FILE,
  RUN_CONFIG_FILE,
  fileSystem,
  imageFolder,
  imageFolderSource,
  loadCifar10,
  loadImageForModel,
  loadRun,
  readCifar10Files,
  registerFileRouters,
  writeBytesAtomic,
} from '../src/index.js';
import { listDir, removeTempDirs, tempDir, useCpu } from './helpers.js';

beforeAll(useCpu);
afterAll(removeTempDirs);

async function errorOf(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** A 64×48 gradient (red along x, green along y) as a valid PNG. */
function gradientPng(height = 48, width = 64): Uint8Array {
  const px = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) px.set([(x * 255) / (width - 1), (y * 255) / (height - 1), 90], (y * width + x) * 3);
  return encodePng(px, height, width);
}

/** Offset and length of the first IDAT chunk's data. */
function idat(png: Uint8Array): { start: number; length: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'IDAT') return { start: at + 8, length };
    at += 12 + length;
  }
  throw new Error('no IDAT chunk');
}

/**
 * The PNG with one byte of its compressed pixels flipped, as damage on disk leaves it (signature,
 * IHDR and the chunk layout intact; the IDAT's CRC no longer matches): the first byte, from the
 * middle of the IDAT data on, whose damage libvips lets through when only truncation fails (sharp's
 * failOn 'truncated', the old default), so that the pixels would come out silently wrong.
 */
async function corruptPng(png: Uint8Array): Promise<Uint8Array> {
  const { start, length } = idat(png);
  for (let i = start + Math.floor(length / 2); i < start + length; i++) {
    const out = Uint8Array.from(png);
    out[i]! ^= 0xff;
    const silent = await sharp(out, { failOn: 'truncated' })
      .raw()
      .toBuffer()
      .then(
        () => true,
        () => false,
      );
    if (silent) return out;
  }
  throw new Error('no byte of the IDAT data could be damaged silently');
}

describe('1. a PNG with corrupted image data', () => {
  test('loadImageForModel and an image folder refuse it, naming the file; the intact PNG and JPEGs still decode', async () => {
    const dir = await tempDir();
    const good = gradientPng();
    const bad = await corruptPng(good);
    // The damage is in the pixels only: the header still parses and says 64×48.
    expect(Array.from(bad.subarray(0, 33))).toEqual(Array.from(good.subarray(0, 33)));
    expect(crc32(bad.subarray(12, 29))).toBe(new DataView(bad.buffer).getUint32(29));
    expect(await sharp(bad).metadata()).toMatchObject({ format: 'png', width: 64, height: 48 });
    const badPath = join(dir, 'bad.png');
    await writeFile(badPath, bad);
    await writeFile(join(dir, 'good.png'), good);

    const error = await errorOf(() => loadImageForModel(badPath, { size: 32 }));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toMatch(
      new RegExp(`^node-io: cannot decode ${badPath} \\(${bad.length} bytes\\) with sharp \\S+ \\(linear\\): .+`),
    );
    expect((await loadImageForModel(join(dir, 'good.png'), { size: 32 })).length).toBe(32 * 32 * 3);
    const jpeg = await sharp(Buffer.from(good)).jpeg({ quality: 90 }).toBuffer();
    await writeFile(join(dir, 'good.jpg'), jpeg);
    expect((await loadImageForModel(join(dir, 'good.jpg'), { size: 32 })).length).toBe(32 * 32 * 3);
    // Stray bytes before the end marker (as some ImageNet JPEGs have): libjpeg warns, and the image is still used.
    const eoi = jpeg.length - 2;
    await writeFile(join(dir, 'stray.jpg'), Buffer.concat([jpeg.subarray(0, eoi), Buffer.from([1, 2, 3, 4, 5]), jpeg.subarray(eoi)]));
    expect((await loadImageForModel(join(dir, 'stray.jpg'), { size: 32 })).length).toBe(32 * 32 * 3);

    // The same file in a folder data set: the batch that holds it fails, naming it; the others load.
    const root = await tempDir();
    await mkdir(join(root, 'a'));
    await mkdir(join(root, 'b'));
    await writeFile(join(root, 'a', 'bad.png'), bad);
    await writeFile(join(root, 'b', 'good.png'), good);
    const ds = await imageFolder(root, { cropSize: 32, evalResize: 32 });
    const batchError = await errorOf(() => ds.batch([0]));
    expect(batchError).toBeInstanceOf(ResNetError);
    expect(batchError.message).toMatch(`folder:${root}: cannot decode ${join(root, 'a', 'bad.png')} (${bad.length} bytes) with sharp`);
    expect((await ds.batch([1])).size).toBe(1);
  });
});

// The distribution's batches hold 10,000 records of 3,073 bytes each.
const RECORD = 3073;
const FULL = 10_000 * RECORD;
const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

/** The six batches at their real size (sparse files of zeros: label 0, black images), so nothing big is written. */
async function fullSizeBatches(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of FILES) {
    await writeFile(join(dir, f), '');
    await truncate(join(dir, f), FULL);
  }
}

describe('3. CIFAR-10 batch files of the wrong size', () => {
  test('batches of exactly 10,000 records load', async () => {
    const dir = await tempDir();
    await fullSizeBatches(dir);
    const data = await loadCifar10(dir);
    expect([data.train.size, data.test.size]).toEqual([50_000, 10_000]);
  });

  test('a truncated batch, one with a partial record and one too long are refused, naming the file, its size and the expected size', async () => {
    const dir = await tempDir();
    await fullSizeBatches(dir);
    const file = join(dir, 'data_batch_3.bin');
    const expected = `expected 30,730,000 bytes (10,000 records of 3,073 bytes) in the binary version of CIFAR-10: the file is truncated or is not a CIFAR-10 batch`;

    await truncate(file, 9_999 * RECORD);
    let error = await errorOf(() => loadCifar10(dir));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toBe(`node-io: ${file} has 30,726,927 bytes (9,999 records), ${expected}`);
    await expect(readCifar10Files(dir)).rejects.toThrow(error.message);

    await truncate(file, FULL - 1000);
    error = await errorOf(() => loadCifar10(dir));
    expect(error.message).toBe(`node-io: ${file} has 30,729,000 bytes (9,999 records and 2,073 bytes), ${expected}`);

    await truncate(file, FULL + RECORD);
    error = await errorOf(() => loadCifar10(dir));
    expect(error.message).toBe(`node-io: ${file} has 30,733,073 bytes (10,001 records), ${expected}`);
    // Every file is checked, the test batch too.
    await truncate(file, FULL);
    await truncate(join(dir, 'test_batch.bin'), 100 * RECORD);
    error = await errorOf(() => loadCifar10(dir));
    expect(error.message).toBe(`node-io: ${join(dir, 'test_batch.bin')} has 307,300 bytes (100 records), ${expected}`);
  });

  test('inside the archive the batch is named with the archive', async () => {
    const dir = await tempDir();
    const batches = join(dir, 'cifar-10-batches-bin');
    await fullSizeBatches(batches);
    await truncate(join(batches, 'data_batch_1.bin'), 5 * RECORD + 7);
    execFileSync('tar', ['-czf', join(dir, CIFAR10_ARCHIVE), '-C', dir, 'cifar-10-batches-bin']);
    const error = await errorOf(() => loadCifar10(join(dir, CIFAR10_ARCHIVE)));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toMatch(
      `node-io: data_batch_1.bin in ${join(dir, CIFAR10_ARCHIVE)} has 15,372 bytes (5 records and 7 bytes), expected 30,730,000 bytes`,
    );
  }, 60_000);
});

describe('4. a model.json whose weight paths leave its folder', () => {
  const loadFrom = (handler: tf.io.IOHandler): Promise<tf.io.ModelArtifacts> => handler.load!();

  /** A model folder whose model.json names `paths` for one float32 weight of `floats` values. */
  async function modelPointingAt(paths: string[], floats: number): Promise<string> {
    const dir = join(await tempDir(), 'deep', 'er', 'model');
    await mkdir(dir, { recursive: true });
    const json = {
      modelTopology: null,
      format: 'layers-model',
      weightsManifest: [{ paths, weights: [{ name: 'w', shape: [floats], dtype: 'float32' }] }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    return dir;
  }

  test('a relative path out of the folder and an absolute path are refused, naming the path; nothing outside is read', async () => {
    registerFileRouters();
    // A secret file just outside the model's folder, the size the manifest asks for.
    const secretDir = await tempDir();
    const secret = join(secretDir, 'secret.bin');
    await writeFile(secret, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));

    for (const shard of ['../../../../etc/passwd', secret, 'sub/../../model-outside.bin']) {
      const dir = await modelPointingAt([shard], 4);
      const modelJson = join(dir, 'model.json');
      const message =
        `node-io: ${modelJson} lists the weight file "${shard}", which is outside the model's folder ${dir}; ` +
        'weight paths must be relative paths inside it';
      const error = await errorOf(() => loadFrom(fileSystem(dir)));
      expect(error).toBeInstanceOf(FileIOError);
      expect(error.message).toBe(message);
      // Through tf.io's router as well (what loadModel('file://…') uses).
      const [handler] = tf.io.getLoadHandlers(`file://${modelJson}`);
      await expect(loadFrom(handler!)).rejects.toThrow(message);
    }
    // ../ that climbs to a real file of the right size: refused, where it used to be read.
    const dir = await modelPointingAt([`../../../../${secretDir.split('/').slice(-1)[0]}/secret.bin`], 4);
    expect(join(dir, '../../../..', secretDir.split('/').slice(-1)[0]!, 'secret.bin')).toBe(secret);
    await expect(loadFrom(fileSystem(dir))).rejects.toThrow("which is outside the model's folder");
  });

  test('paths inside the folder, also through a subfolder, still load', async () => {
    const dir = await modelPointingAt(['shards/part1.bin', 'shards/../part2.bin'], 4);
    await mkdir(join(dir, 'shards'));
    await writeFile(join(dir, 'shards', 'part1.bin'), new Uint8Array(new Float32Array([1, 2]).buffer));
    await writeFile(join(dir, 'part2.bin'), new Uint8Array(new Float32Array([3, 4]).buffer));
    const artifacts = await loadFrom(fileSystem(dir));
    expect(Array.from(new Float32Array(artifacts.weightData as ArrayBuffer))).toEqual([1, 2, 3, 4]);
  });
});

/** Makes `dir` refuse new files by a real mechanism: permissions for a user, the immutable flag for root; a reason to skip when neither works here. */
function makeReadOnly(dir: string): { code: string; restore: () => void } | { skip: string } {
  if (process.platform === 'win32') return { skip: 'skipped: Windows has no read-only folders of this kind' };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    chmodSync(dir, 0o555);
    return { code: 'EACCES', restore: () => chmodSync(dir, 0o755) };
  }
  // Root ignores permissions; an immutable folder refuses even root (ext4, xfs, btrfs; needs CAP_LINUX_IMMUTABLE).
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
  } catch (error) {
    return {
      skip: `skipped: running as root, which ignores folder permissions, and chattr +i is not possible here (${(error as Error).message.split('\n')[0]})`,
    };
  }
  return { code: 'EPERM', restore: () => execFileSync('chattr', ['-i', dir]) };
}

describe('5. writing into a folder that is not writable', () => {
  test('the error says the folder is not writable, and the file there is left byte-identical', async ({ skip }) => {
    const dir = await tempDir();
    const path = join(dir, 'model.json');
    await writeFile(path, 'the old model');
    const readOnly = makeReadOnly(dir);
    if ('skip' in readOnly) return skip(readOnly.skip);
    let error: Error;
    try {
      error = await errorOf(() => writeBytesAtomic(path, new TextEncoder().encode('new')));
    } finally {
      readOnly.restore();
    }
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as FileIOError).code).toBe(readOnly.code);
    const reason = readOnly.code === 'EACCES' ? 'permission denied (EACCES)' : 'operation not permitted (EPERM)';
    expect(error.message).toBe(`node-io: cannot write ${path}: the folder ${dir} is not writable: ${reason}`);
    expect(await readFile(path, 'utf8')).toBe('the old model');
    expect(await listDir(dir)).toEqual(['model.json']);
  });

  test.skipIf(process.platform !== 'linux')(
    'a folder whose file system answers "no such file" for a folder that exists (/proc) is reported as not writable',
    async () => {
      // procfs refuses new files with ENOENT, even for root: a real read-only file system that says "no such file".
      const error = await errorOf(() => writeBytesAtomic('/proc/resnet-test.json', Uint8Array.of(1)));
      expect(error).toBeInstanceOf(FileIOError);
      expect(error.message).toBe(
        'node-io: cannot write /proc/resnet-test.json: the folder /proc is not writable: ' +
          'creating a file there failed with ENOENT ("no such file or directory") although the folder exists',
      );
      expect(error.message).not.toMatch(/^[^:]*: no such file/);
    },
  );

  test('a folder that does not exist is still named as missing', async () => {
    const dir = await tempDir();
    const path = join(dir, 'nope', 'x.bin');
    const error = await errorOf(() => writeBytesAtomic(path, Uint8Array.of(1)));
    expect((error as FileIOError).code).toBe('ENOENT');
    expect(error.message).toBe(`node-io: cannot write ${path}: the folder ${dirname(path)} does not exist (ENOENT)`);
  });
});

describe('8. an image folder with one class', () => {
  test('is refused at listing, naming the folder and its class', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'x'));
    await writeFile(join(root, 'x', '1.png'), gradientPng(8, 8));
    await writeFile(join(root, 'x', '2.png'), gradientPng(8, 8));
    const message = `node-io: image folder ${root} has 1 class ("x"); a classifier needs at least 2`;
    await expect(imageFolderSource(root)).rejects.toThrow(new FileIOError(message));
    await expect(imageFolder(root)).rejects.toThrow(message);
    // A validation folder numbered by the training set's classes may hold fewer folders than classes.
    expect((await imageFolderSource(root, { classNames: ['x', 'y'] })).classNames).toEqual(['x', 'y']);
    await expect(imageFolderSource(root, { classNames: ['x'] })).rejects.toThrow(message);
  });
});

describe('9. loadRun: a run folder of resnet train, from code', () => {
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    const { train, test, mean } = syntheticDatasets({ trainSize: 16, testSize: 8 });
    const model = createModel('resnet8', { seed: 3 });
    const training = new Training(model, { train, test, mean }, resolveRecipe('synthetic', model.spec, { iterations: 1, batchSize: 8 }));
    checkpoint = await training.checkpoint();
    training.dispose();
    model.dispose();
  });

  async function runFolder(config?: string): Promise<string> {
    const dir = await tempDir();
    await writeFile(join(dir, RUN_CHECKPOINT_FILE), await serializeCheckpoint(checkpoint));
    if (config !== undefined) await writeFile(join(dir, RUN_CONFIG_FILE), config);
    return dir;
  }

  test('from the folder or the checkpoint file: the model with its weights, classes, mean and what config.json says', async () => {
    const dir = await runFolder(JSON.stringify({ dataset: 'synthetic', syntheticSize: { train: 16, test: 8 } }));
    const file = join(dir, RUN_CHECKPOINT_FILE);
    for (const target of [dir, file]) {
      const run = await loadRun(target);
      expect(run.file).toBe(file);
      expect(run.model.spec).toEqual(checkpoint.meta.spec);
      expect(run.classNames).toEqual(checkpoint.meta.dataset.classNames);
      expect(Array.from(run.mean!)).toEqual(Array.from(checkpoint.mean!));
      expect(run.std).toBeUndefined();
      expect(run.meta.iteration).toBe(checkpoint.meta.iteration);
      expect(run.dataset).toEqual({ spec: 'synthetic', syntheticSize: { train: 16, test: 8 } });
      const [name, saved] = [...checkpoint.weights][0]!;
      expect(Array.from(run.model.variables.get(name)!.dataSync())).toEqual(Array.from(saved.data));
      const x = tf.zeros([1, 32, 32, 3]);
      const y = run.model.predict(x as tf.Tensor4D);
      expect(y.shape).toEqual([1, 10]);
      tf.dispose([x, y]);
      run.model.dispose();
    }
    const bare = await loadRun(await runFolder());
    expect(bare.dataset).toBeUndefined();
    bare.model.dispose();
  });

  test('a missing checkpoint, a checkpoint without spec and a truncated config.json are errors naming the file', async () => {
    const nowhere = join(await tempDir(), 'nowhere');
    let error = await errorOf(() => loadRun(nowhere));
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as FileIOError).code).toBe('ENOENT');
    expect(error.message).toBe(
      `node-io: no checkpoint at ${join(nowhere)} (expected a run folder made by resnet train, holding ${RUN_CHECKPOINT_FILE}, or the checkpoint file itself)`,
    );
    const empty = await tempDir();
    error = await errorOf(() => loadRun(empty));
    expect(error.message).toBe(
      `node-io: no checkpoint at ${join(empty, RUN_CHECKPOINT_FILE)} (expected a run folder made by resnet train, holding ${RUN_CHECKPOINT_FILE}, or the checkpoint file itself)`,
    );

    const dir = await runFolder('{"dataset": "synth');
    error = await errorOf(() => loadRun(dir));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toMatch(
      new RegExp(
        `^node-io: ${join(dir, RUN_CONFIG_FILE)} is not valid JSON \\(.+\\); it should hold what resnet train recorded for the run$`,
      ),
    );

    const { spec: _spec, ...withoutSpec } = checkpoint.meta;
    const noSpec = join(await tempDir(), 'no-spec.safetensors');
    await writeFile(noSpec, await serializeCheckpoint({ ...checkpoint, meta: withoutSpec as unknown as Checkpoint['meta'] }));
    error = await errorOf(() => loadRun(noSpec));
    expect(error).toBeInstanceOf(ResNetError);
    expect(error.message).toBe(`checkpoint: ${noSpec} is damaged or not a checkpoint: its metadata has no "spec"`);
    await expect(parseCheckpoint(await readFile(noSpec), noSpec)).rejects.toThrow(error.message);
  });
});

describe('10. loadImageForModel sizes an image as resnet predict does', () => {
  test('for the CIFAR nets (32) the shorter side goes to 32, for the ImageNet nets (224) to 256; one rule, evalResizeFor in core', async () => {
    const dir = await tempDir();
    const path = join(dir, 'wide.png');
    await writeFile(path, gradientPng(60, 90));
    const byDefault = await loadImageForModel(path, { size: 32 });
    expect(Array.from(byDefault)).toEqual(Array.from(await loadImageForModel(path, { size: 32, resize: 32 })));
    // Not the paper's 256/224 enlargement (37), which cuts the image's edges off.
    expect(Array.from(byDefault)).not.toEqual(Array.from(await loadImageForModel(path, { size: 32, resize: 37 })));
    expect(Array.from(await loadImageForModel(path, { size: 224 }))).toEqual(
      Array.from(await loadImageForModel(path, { size: 224, resize: 256 })),
    );
    // The rule, for callers that resize themselves (resnet predict leaves it to loadImageForModel).
    expect([evalResizeFor(32), evalResizeFor(28), evalResizeFor(224), evalResizeFor(112)]).toEqual([32, 28, 256, 128]);
  });
});
