// CIFAR-10 on disk: loading from a folder of batches or the archive, and the download into a
// checksum-verified cache, served by a local HTTP server (these tests never touch the network).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ResNetError } from '@resnet/core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CIFAR10_ARCHIVE, FileIOError, defaultCacheDir, downloadCifar10, loadCifar10, readCifar10Files } from '../src/index.js';
import { listDir, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const ALL_FILES = [...TRAIN_FILES, 'test_batch.bin'];

/** A known byte for channel c at (y, x) of image `id`. */
const pixel = (id: number, c: number, y: number, x: number) => (id * 29 + c * 70 + y * 5 + x) & 0xff;

/** Records in the official layout: a label byte, then the R, G and B planes (32×32, row by row). */
function batchFile(ids: number[]): Uint8Array {
  const out = new Uint8Array(ids.length * 3073);
  ids.forEach((id, r) => {
    out[r * 3073] = id % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[r * 3073 + 1 + c * 1024 + p] = pixel(id, c, p >> 5, p & 31);
  });
  return out;
}

/** Two images per file: ids 0 … 9 in the training files, 50 and 51 in the test file. */
async function writeBatches(dir: string, skip: string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [f, name] of TRAIN_FILES.entries()) if (!skip.includes(name)) await writeFile(join(dir, name), batchFile([2 * f, 2 * f + 1]));
  if (!skip.includes('test_batch.bin')) await writeFile(join(dir, 'test_batch.bin'), batchFile([50, 51]));
}

/** These cut-down batches hold 2 records each, not the distribution's 10,000 (first_hour.test.ts reads full-size ones). */
const SMALL = { recordsPerBatch: 2 };

/** The distribution's archive, made by GNU tar from batches written as above. */
async function makeArchive(): Promise<Uint8Array> {
  const dir = await tempDir();
  await writeBatches(join(dir, 'cifar-10-batches-bin'));
  await writeFile(
    join(dir, 'cifar-10-batches-bin', 'batches.meta.txt'),
    'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n',
  );
  execFileSync('tar', ['-czf', join(dir, CIFAR10_ARCHIVE), '-C', dir, 'cifar-10-batches-bin']);
  return new Uint8Array(await readFile(join(dir, CIFAR10_ARCHIVE)));
}

async function errorOf(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('loadCifar10', () => {
  async function expectSmallCifar(path: string): Promise<void> {
    const data = await loadCifar10(path, SMALL);
    expect([data.train.size, data.test.size]).toEqual([10, 2]);
    const test = await data.test.batch([1]);
    expect(test.labels[0]).toBe(1); // id 51
    // Pixel (y 2, x 7), blue, NHWC, minus the training mean.
    const p = (2 * 32 + 7) * 3 + 2;
    expect(test.images[p]).toBeCloseTo(pixel(51, 2, 2, 7) / 255 - data.mean[p]!, 6);
    let sum = 0;
    for (let id = 0; id < 10; id++) sum += pixel(id, 2, 2, 7);
    expect(data.mean[p]).toBeCloseTo(sum / 10 / 255, 6);
  }

  test('reads a folder of batches, a cifar-10-batches-bin subfolder, the archive, and a cache folder holding it', async () => {
    const dir = await tempDir();
    await writeBatches(join(dir, 'flat'));
    await expectSmallCifar(join(dir, 'flat'));
    await writeBatches(join(dir, 'parent', 'cifar-10-batches-bin'));
    await expectSmallCifar(join(dir, 'parent'));
    await mkdir(join(dir, 'cache'));
    await writeFile(join(dir, 'cache', CIFAR10_ARCHIVE), await makeArchive());
    await expectSmallCifar(join(dir, 'cache', CIFAR10_ARCHIVE));
    await expectSmallCifar(join(dir, 'cache'));
  });

  test('the files are the same from a folder and from the archive; options reach the data sets', async () => {
    const dir = await tempDir();
    await writeBatches(dir);
    await writeFile(join(dir, CIFAR10_ARCHIVE), await makeArchive());
    const fromDir = await readCifar10Files(dir, SMALL);
    const fromArchive = await readCifar10Files(join(dir, CIFAR10_ARCHIVE), SMALL);
    expect(Object.keys(fromArchive).sort()).toEqual([...ALL_FILES].sort());
    for (const f of ALL_FILES) expect(Buffer.from(fromArchive[f]!).equals(fromDir[f]!)).toBe(true);
    const split = await loadCifar10(dir, { valSize: 2, ...SMALL });
    expect([split.train.size, split.val?.size]).toEqual([8, 2]);
  });

  test('a missing path, missing batches and bad batches are named', async () => {
    const dir = await tempDir();
    const nowhere = join(dir, 'nowhere');
    let error = await errorOf(() => loadCifar10(nowhere));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toBe(
      `node-io: cannot read CIFAR-10 from ${nowhere}: no such file or directory (ENOENT); expected the CIFAR-10 binary batches ` +
        `(${ALL_FILES.join(', ')}), a cifar-10-batches-bin folder holding them, or the cifar-10-binary.tar.gz archive`,
    );

    await writeBatches(join(dir, 'some', 'cifar-10-batches-bin'), ['data_batch_3.bin', 'test_batch.bin']);
    error = await errorOf(() => loadCifar10(join(dir, 'some')));
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as FileIOError).code).toBe('ENOENT');
    expect(error.message).toMatch(
      `node-io: ${join(dir, 'some', 'cifar-10-batches-bin')} has no data_batch_3.bin, test_batch.bin; expected`,
    );

    await mkdir(join(dir, 'empty'));
    error = await errorOf(() => loadCifar10(join(dir, 'empty')));
    expect(error.message).toMatch(`node-io: ${join(dir, 'empty')} has no ${ALL_FILES.join(', ')}; expected`);

    await writeBatches(join(dir, 'bad'));
    await writeFile(join(dir, 'bad', 'data_batch_4.bin'), batchFile([1]).subarray(0, 3000));
    error = await errorOf(() => loadCifar10(join(dir, 'bad'), SMALL));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toBe(
      `node-io: ${join(dir, 'bad', 'data_batch_4.bin')} has 3,000 bytes (0 records and 3,000 bytes), expected 6,146 bytes ` +
        `(2 records of 3,073 bytes) in the binary version of CIFAR-10: the file is truncated or is not a CIFAR-10 batch`,
    );
    // The parser's own checks still name the file and where it was read from.
    const labels = batchFile([1, 2]);
    labels[3073] = 10;
    await writeFile(join(dir, 'bad', 'data_batch_4.bin'), labels);
    error = await errorOf(() => loadCifar10(join(dir, 'bad'), SMALL));
    expect(error).toBeInstanceOf(ResNetError);
    expect(error.message).toBe(`cifar10: data_batch_4.bin: record 1 (byte 3073) has label 10, expected 0…9 (reading ${join(dir, 'bad')})`);
    await expect(loadCifar10(join(dir, 'bad'), { recordsPerBatch: 0 })).rejects.toThrow(
      'node-io: recordsPerBatch must be a positive integer, got 0',
    );

    const archive = await makeArchive();
    await writeFile(join(dir, 'cut.tar.gz'), archive.subarray(0, archive.length - 100));
    error = await errorOf(() => loadCifar10(join(dir, 'cut.tar.gz'), SMALL));
    expect(error).toBeInstanceOf(ResNetError);
    expect(error.message).toMatch(`gzip: cannot decompress ${join(dir, 'cut.tar.gz')}`);
  });
});

describe('downloadCifar10', () => {
  let server: Server;
  let base: string;
  let archive: Uint8Array;
  let md5: string;
  let hits = 0;
  let status = 200;

  beforeAll(async () => {
    archive = await makeArchive();
    md5 = createHash('md5').update(archive).digest('hex');
    server = createServer((request, response) => {
      hits++;
      if (status !== 200 || request.url !== `/${CIFAR10_ARCHIVE}`) {
        response.writeHead(status === 200 ? 404 : status).end();
        return;
      }
      // In several pieces, so progress is reported more than once (apart enough that a busy client
      // does not read two pieces at once).
      response.writeHead(200, { 'content-length': archive.length, 'content-type': 'application/x-gzip' });
      const third = Math.ceil(archive.length / 3);
      response.write(archive.subarray(0, third));
      setTimeout(() => {
        response.write(archive.subarray(third, 2 * third));
        setTimeout(() => response.end(archive.subarray(2 * third)), 100);
      }, 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    hits = 0;
    status = 200;
  });

  const local = (cacheDir: string, more: Record<string, unknown> = {}) => ({
    cacheDir,
    url: `${base}/${CIFAR10_ARCHIVE}`,
    md5,
    size: archive.length,
    ...more,
  });

  test('downloads into the cache with progress, then reuses the cached archive without fetching again', async () => {
    const cacheDir = join(await tempDir(), 'nested', 'cache');
    const progress: Array<[number, number]> = [];
    const path = await downloadCifar10(
      local(cacheDir, { onProgress: (received: number, total: number) => progress.push([received, total]) }),
    );
    expect(path).toBe(join(cacheDir, CIFAR10_ARCHIVE));
    expect(Buffer.from(await readFile(path)).equals(archive)).toBe(true);
    expect(await listDir(cacheDir)).toEqual([CIFAR10_ARCHIVE]);
    expect(hits).toBe(1);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[progress.length - 1]).toEqual([archive.length, archive.length]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);

    expect(await downloadCifar10(local(cacheDir))).toBe(path);
    expect(hits).toBe(1);
    expect((await loadCifar10(path, SMALL)).train.size).toBe(10);
  });

  test('a cached file with the wrong content is replaced; the injected fetch is the one used', async () => {
    const cacheDir = await tempDir();
    await writeFile(join(cacheDir, CIFAR10_ARCHIVE), new Uint8Array(archive.length)); // right size, wrong bytes
    const calls: string[] = [];
    const path = await downloadCifar10(local(cacheDir, { fetch: (url: string) => (calls.push(url), fetch(url)) }));
    expect(calls).toEqual([`${base}/${CIFAR10_ARCHIVE}`]);
    expect(hits).toBe(1);
    expect(Buffer.from(await readFile(path)).equals(archive)).toBe(true);
  });

  test('a checksum mismatch removes the temporary file, leaves nothing in the cache, and names both checksums', async () => {
    const cacheDir = await tempDir();
    const wrong = '0123456789abcdef0123456789abcdef';
    const error = await errorOf(() => downloadCifar10(local(cacheDir, { md5: wrong })));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toBe(`node-io: ${base}/${CIFAR10_ARCHIVE} failed its checksum: expected MD5 ${wrong}, got ${md5}`);
    expect(await listDir(cacheDir)).toEqual([]);
    // The next attempt with the right checksum downloads again (nothing wrong was cached).
    await downloadCifar10(local(cacheDir));
    expect(hits).toBe(2);
  });

  test('a short download, an HTTP error and an unreachable server leave nothing behind', async () => {
    const cacheDir = await tempDir();
    let error = await errorOf(() => downloadCifar10(local(cacheDir, { size: archive.length + 1 })));
    expect(error.message).toBe(
      `node-io: ${base}/${CIFAR10_ARCHIVE} sent ${archive.length} bytes, expected ${archive.length + 1}: the download was cut short`,
    );
    error = await errorOf(() => downloadCifar10(local(cacheDir, { size: archive.length - 1 })));
    expect(error.message).toBe(
      `node-io: ${base}/${CIFAR10_ARCHIVE} sent more than the expected ${archive.length - 1} bytes: not the CIFAR-10 archive`,
    );
    status = 503;
    error = await errorOf(() => downloadCifar10(local(cacheDir)));
    expect(error.message).toBe(`node-io: cannot download ${base}/${CIFAR10_ARCHIVE}: HTTP 503 Service Unavailable`);
    expect(await listDir(cacheDir)).toEqual([]);

    // A port nobody listens on: the one of a server just closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    error = await errorOf(() => downloadCifar10(local(cacheDir, { url: `http://127.0.0.1:${port}/x` })));
    expect(error).toBeInstanceOf(FileIOError);
    expect(error.message).toMatch(`node-io: cannot download http://127.0.0.1:${port}/x: fetch failed`);
    expect(await listDir(cacheDir)).toEqual([]);
    await expect(downloadCifar10(local(cacheDir, { md5: 'abc' }))).rejects.toThrow('node-io: md5 must be 32 hexadecimal digits, got "abc"');
  });

  test('the default cache folder is $RESNET_CACHE, else ~/.cache/resnet', async () => {
    const saved = process.env['RESNET_CACHE'];
    try {
      process.env['RESNET_CACHE'] = '/somewhere/cache';
      expect(defaultCacheDir()).toBe('/somewhere/cache');
      delete process.env['RESNET_CACHE'];
      expect(defaultCacheDir()).toMatch(/[/\\]\.cache[/\\]resnet$/);
      const cacheDir = await tempDir();
      process.env['RESNET_CACHE'] = cacheDir;
      const { cacheDir: _, ...rest } = local(cacheDir);
      expect(await downloadCifar10(rest)).toBe(join(cacheDir, CIFAR10_ARCHIVE));
    } finally {
      if (saved === undefined) delete process.env['RESNET_CACHE'];
      else process.env['RESNET_CACHE'] = saved;
    }
  });
});
