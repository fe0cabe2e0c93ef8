// The MNIST family from disk and from a download (issue #16): small IDX files made here, gzip as
// distributed and unpacked; a folder missing a file, a truncated set, a set nowhere to be found;
// the download served by a local HTTP server (progress, MD5 checked, nothing kept on a mismatch,
// the cache reused).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MNIST_FILES, MNIST_SETS, type MnistFileRole } from '@resnet/core';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { FileIOError, downloadMnist, loadMnist, mnistFolders } from '../src/index.js';
import { idxFile } from '../../core/test/helpers/idx.js';
import { listDir, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const idx = idxFile;

/** The four files of a set of `train` + `test` 28×28 images, image i filled with the value i and labelled i mod 10. */
function mnistFiles(train: number, test: number): Record<MnistFileRole, Uint8Array> {
  const part = (n: number, offset: number): [Uint8Array, Uint8Array] => {
    const pixels = new Uint8Array(n * 28 * 28);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      pixels.fill((offset + i) % 256, i * 784, (i + 1) * 784);
      labels[i] = i % 10;
    }
    return [idx([n, 28, 28], pixels), idx([n], labels)];
  };
  const [trainImages, trainLabels] = part(train, 0);
  const [testImages, testLabels] = part(test, 100);
  return { trainImages, trainLabels, testImages, testLabels };
}

async function writeSet(dir: string, files: Record<MnistFileRole, Uint8Array>, gzip = true): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [role, name] of Object.entries(MNIST_FILES) as [MnistFileRole, string][])
    await writeFile(join(dir, gzip ? name : name.replace(/\.gz$/, '')), gzip ? gzipSync(files[role]) : files[role]);
}

const SMALL = { counts: { train: 20, test: 10 } };

describe('loadMnist from a folder', () => {
  test.each([
    ['gzip-compressed, as distributed', true],
    ['unpacked', false],
  ])('reads the four files %s: 28×28×1 images, the classes, the mean of the training part', async (_, gzip) => {
    const dir = await tempDir();
    await writeSet(dir, mnistFiles(20, 10), gzip);
    const d = await loadMnist('fashion-mnist', dir, { ...SMALL, valSize: 5 });
    expect(d.folder).toBe(dir);
    expect([d.train.size, d.val?.size, d.test.size]).toEqual([15, 5, 10]);
    expect(d.train.imageShape).toEqual([28, 28, 1]);
    expect(d.classNames).toEqual(MNIST_SETS['fashion-mnist'].classNames);
    expect(d.mean.length).toBe(28 * 28);
    const batch = await d.test.batch([0, 3]);
    expect([...batch.labels]).toEqual([0, 3]);
  });

  test('a folder missing a file is refused, naming what is missing', async () => {
    const dir = await tempDir();
    await writeSet(dir, mnistFiles(20, 10));
    const { unlink } = await import('node:fs/promises');
    await unlink(join(dir, 't10k-labels-idx1-ubyte.gz'));
    await expect(loadMnist('mnist', dir, SMALL)).rejects.toThrow(
      `node-io: ${dir} does not hold the MNIST-format files: missing t10k-labels-idx1-ubyte.gz (each gzip-compressed as distributed, or unpacked without .gz)`,
    );
  });

  test('a set with fewer images than the distribution is refused (a truncated copy never trains silently)', async () => {
    const dir = await tempDir();
    await writeSet(dir, mnistFiles(20, 10));
    await expect(loadMnist('fashion-mnist', dir)).rejects.toThrow(
      `node-io: Fashion-MNIST in ${dir} has 20 training images, expected 60,000: a file is truncated or from another set`,
    );
  });

  test('a damaged file: core names it', async () => {
    const dir = await tempDir();
    const files = mnistFiles(20, 10);
    await writeSet(dir, { ...files, trainImages: files.trainImages.subarray(0, 500) });
    await expect(loadMnist('mnist', dir, SMALL)).rejects.toThrow(/train-images-idx3-ubyte\.gz/);
  });

  test('without a folder: Debian’s package, then the cache; where it was looked for is said when it is nowhere', async () => {
    const cacheDir = await tempDir();
    expect(mnistFolders('fashion-mnist', cacheDir)).toEqual(['/usr/share/datasets/fashion-mnist', join(cacheDir, 'fashion-mnist')]);
    expect(mnistFolders('mnist', cacheDir)).toEqual([join(cacheDir, 'mnist')]);
    const error = await loadMnist('mnist', undefined, { cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as Error).message).toBe(
      `node-io: MNIST is not in ${join(cacheDir, 'mnist')}; download it (downloadMnist, or resnet train --download)`,
    );
    await writeSet(join(cacheDir, 'mnist'), mnistFiles(20, 10));
    expect((await loadMnist('mnist', undefined, { ...SMALL, cacheDir })).folder).toBe(join(cacheDir, 'mnist'));
  });
});

describe('downloadMnist', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** Serves `files` (name → bytes) and counts the requests. */
  async function serve(files: Record<string, Uint8Array>): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    server = createServer((request, response) => {
      const name = (request.url ?? '').replace(/^\/sets\//, '');
      requests.push(name);
      const body = files[name];
      if (!body) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-length': body.length });
      response.end(Buffer.from(body));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sets/`, requests };
  }

  const gzipped = (): { files: Record<string, Uint8Array>; md5: Record<MnistFileRole, string> } => {
    const raw = mnistFiles(20, 10);
    const files: Record<string, Uint8Array> = {};
    const md5 = {} as Record<MnistFileRole, string>;
    for (const [role, name] of Object.entries(MNIST_FILES) as [MnistFileRole, string][]) {
      files[name] = gzipSync(raw[role]);
      md5[role] = createHash('md5').update(files[name]!).digest('hex');
    }
    return { files, md5 };
  };

  test('fetches the four files into <cache>/<kind>/ with progress, checked by MD5; the cache is reused', async () => {
    const { files, md5 } = gzipped();
    const { url, requests } = await serve(files);
    const cacheDir = await tempDir();
    const progress = new Map<string, number>();
    const folder = await downloadMnist('fashion-mnist', {
      cacheDir,
      url,
      md5,
      onProgress: (file, received) => progress.set(file, received),
    });
    expect(folder).toBe(join(cacheDir, 'fashion-mnist'));
    expect(await listDir(folder)).toEqual(Object.values(MNIST_FILES).sort());
    for (const name of Object.values(MNIST_FILES)) expect(progress.get(name)).toBe(files[name]!.length);
    expect((await loadMnist('fashion-mnist', folder, SMALL)).train.size).toBe(20);
    await downloadMnist('fashion-mnist', { cacheDir, url, md5 });
    expect(requests).toHaveLength(4); // nothing fetched again
  });

  test('a file whose MD5 differs is refused and nothing of it is kept', async () => {
    const { files, md5 } = gzipped();
    const { url } = await serve({ ...files, 't10k-images-idx3-ubyte.gz': gzipSync(new Uint8Array(100)) });
    const cacheDir = await tempDir();
    await expect(downloadMnist('mnist', { cacheDir, url, md5 })).rejects.toThrow(
      new RegExp(`node-io: ${url}t10k-images-idx3-ubyte\\.gz failed its checksum: expected MD5 ${md5.testImages}, got [0-9a-f]{32}`),
    );
    // The files checked before it stay (each is whole and right); the bad one and any temporary file do not.
    expect(await listDir(join(cacheDir, 'mnist'))).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
  });

  test('the published MD5s are the defaults', async () => {
    const { files } = gzipped();
    const { url } = await serve(files);
    const cacheDir = await tempDir();
    await expect(downloadMnist('fashion-mnist', { cacheDir, url })).rejects.toThrow(
      `expected MD5 ${MNIST_SETS['fashion-mnist'].md5.trainImages}`,
    );
  });
});
