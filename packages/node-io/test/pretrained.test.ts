// Downloading published weights into the cache (src/pretrained/download.ts), from a local HTTP
// server that serves a generated file (nothing reaches the internet): the SHA-256 prefix checked,
// progress reported, a wrong file refused with nothing left in the cache, the rename atomic (no
// temporary file left), the cache reused without a request, and an offline copy taken with --from.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGENET_CLASSES, exportSafetensors } from '@resnet/core';
import { fetchPretrained, loadPretrained, pretrainedPath } from '../src/index.js';

const body = new Uint8Array(3_000_000).map((_, i) => (i * 7919) % 251);
const sha256 = createHash('sha256').update(body).digest('hex');
const weights = { fileName: `tiny-${sha256.slice(0, 8)}.pth`, sha256Prefix: sha256.slice(0, 8), url: '' };
let server: Server;
let base = '';
let requests = 0;
let cache = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/tiny.pth') {
      res.writeHead(200, { 'content-length': String(body.length) });
      // In pieces, as a network delivers it.
      for (let at = 0; at < body.length; at += 500_000) res.write(body.subarray(at, at + 500_000));
      res.end();
    } else if (req.url === '/wrong.pth') {
      res.writeHead(200, { 'content-length': '1000' });
      res.end(Buffer.alloc(1000, 1));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  cache = mkdtempSync(path.join(os.tmpdir(), 'resnet-weights-'));
  requests = 0;
});

const entries = () => readdirSync(path.join(cache, 'weights'));

describe('fetchPretrained', () => {
  test('downloads with progress, checks the hash, renames into the cache; the next call reuses it', async () => {
    const progress: Array<[number, number | undefined]> = [];
    const first = await fetchPretrained(weights, { cacheDir: cache, url: `${base}/tiny.pth`, onProgress: (r, t) => progress.push([r, t]) });
    expect(first).toEqual({ path: pretrainedPath(weights, cache), source: 'download', sha256 });
    expect(new Uint8Array(readFileSync(first.path))).toEqual(body);
    expect(progress.at(-1)).toEqual([body.length, body.length]);
    expect(progress.length).toBeGreaterThan(1);
    expect(entries()).toEqual([weights.fileName]); // no temporary file left
    const second = await fetchPretrained(weights, { cacheDir: cache, url: `${base}/tiny.pth` });
    expect(second.source).toBe('cache');
    expect(requests).toBe(1);
  });

  test('a file whose hash does not match is refused, and nothing is left in the cache', async () => {
    await expect(fetchPretrained(weights, { cacheDir: cache, url: `${base}/wrong.pth` })).rejects.toThrow(
      new RegExp(
        `/wrong\\.pth is not ${weights.fileName}: its SHA-256 is [0-9a-f]{64}, which does not start with ${weights.sha256Prefix}.*nothing was kept`,
      ),
    );
    expect(entries()).toEqual([]);
  });

  test('an HTTP error names the address and the status', async () => {
    await expect(fetchPretrained(weights, { cacheDir: cache, url: `${base}/missing.pth` })).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/missing\.pth: HTTP 404/,
    );
  });

  test('a damaged cached file is replaced by a good download', async () => {
    await fetchPretrained(weights, { cacheDir: cache, url: `${base}/tiny.pth` });
    writeFileSync(pretrainedPath(weights, cache), 'damaged');
    const again = await fetchPretrained(weights, { cacheDir: cache, url: `${base}/tiny.pth` });
    expect(again.source).toBe('download');
    expect(readFileSync(again.path).length).toBe(body.length);
  });

  test('--from: an offline copy is checked and copied in, never changed; a wrong one is refused', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'resnet-from-'));
    const good = path.join(dir, 'downloaded-elsewhere.pth');
    writeFileSync(good, body);
    const got = await fetchPretrained(weights, { cacheDir: cache, from: good });
    expect(got.source).toBe('file');
    expect(requests).toBe(0);
    expect(new Uint8Array(readFileSync(good))).toEqual(body);
    const bad = path.join(dir, 'other.pth');
    writeFileSync(bad, 'something else');
    rmSync(path.join(cache, 'weights'), { recursive: true });
    await expect(fetchPretrained(weights, { cacheDir: cache, from: bad })).rejects.toThrow(
      /other\.pth is not tiny-[0-9a-f]{8}\.pth: its SHA-256/,
    );
    expect(entries()).toEqual([]);
    await expect(fetchPretrained(weights, { cacheDir: cache, from: path.join(dir, 'absent.pth') })).rejects.toThrow(/absent\.pth/);
    rmSync(dir, { recursive: true, force: true });
  });
});

// A torch.save ResNet-18 (random weights) from Debian's PyTorch, for loadPretrained; skipped, saying why, without it.
const pthDir = mkdtempSync(path.join(os.tmpdir(), 'resnet-load-'));
const pth = path.join(pthDir, 'mine.pth');
const made = spawnSync(
  '/usr/bin/python3',
  ['-c', 'import sys, torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.resnet18().state_dict(), sys.argv[1])', pth],
  { encoding: 'utf8' },
);
const why =
  made.error || made.status !== 0
    ? `/usr/bin/python3 with torch and torchvision could not write a .pth (${made.error?.message ?? made.stderr.trim().split('\n').pop()})`
    : undefined;
if (why) console.warn(`skipped: ${why}`);
afterAll(() => rmSync(pthDir, { recursive: true, force: true }));

describe.skipIf(why !== undefined)('loadPretrained', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  test("a .pth with its model: ImageNet's names, torchvision's V1 preprocessing, the weights in", async () => {
    const loaded = await loadPretrained(pth, { model: 'resnet18' });
    expect(loaded.entry).toBeUndefined();
    expect(loaded.model.spec.name).toBe('resnet18');
    expect(loaded.classNames).toBe(IMAGENET_CLASSES);
    expect(loaded.preprocessing).toMatchObject({ resize: 256, crop: 224 });
    expect(loaded.model.variables.get('fc.weight')!.shape).toEqual([512, 1000]);
    loaded.model.dispose();
  });

  test("a file named like a catalogue entry gets the entry's model; bad combinations are refused", async () => {
    const named = path.join(pthDir, 'resnet18-f37072fd.pth');
    copyFileSync(pth, named);
    const loaded = await loadPretrained(named);
    expect(loaded.entry?.name).toBe('resnet18.imagenet1k_v1');
    loaded.model.dispose();
    await expect(loadPretrained(pth)).rejects.toThrow(/mine\.pth is not a file the catalogue names: say which model it is/);
    await expect(loadPretrained(named, { model: 'resnet34' })).rejects.toThrow(/model resnet34 does not fit resnet18\.imagenet1k_v1/);
    await expect(loadPretrained('resnet20')).rejects.toThrow(/no published weights are called "resnet20"/);
  });

  test("numClasses: the backbone under a new head, as timm's pretrained=True, num_classes=5; a .safetensors state dict loads too", async () => {
    const full = await loadPretrained(pth, { model: 'resnet18' });
    const probe = await loadPretrained(pth, { model: 'resnet18', numClasses: 5, classNames: ['a', 'b', 'c', 'd', 'e'], seed: 1 });
    expect(probe.model.spec.numClasses).toBe(5);
    expect(probe.classNames).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(probe.model.variables.get('fc.weight')!.shape).toEqual([512, 5]);
    expect(await probe.model.variables.get('layer4.1.conv2.weight')!.data()).toEqual(
      await full.model.variables.get('layer4.1.conv2.weight')!.data(),
    );
    // The same backbone's features, so the same pooled output before the heads.
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const [a, b] = [full.model.features(x, { anyInputSize: true }), probe.model.features(x, { anyInputSize: true })];
    expect(await b['conv5_x']!.data()).toEqual(await a['conv5_x']!.data());
    const st = path.join(pthDir, 'mine.safetensors');
    writeFileSync(st, await exportSafetensors(full.model));
    const fromSt = await loadPretrained(st, { model: 'resnet18', numClasses: 2, seed: 1 });
    expect(await fromSt.model.variables.get('layer4.1.conv2.weight')!.data()).toEqual(
      await full.model.variables.get('layer4.1.conv2.weight')!.data(),
    );
    expect(fromSt.classNames).toEqual(['class 0', 'class 1']);
    await expect(loadPretrained(pth, { model: 'resnet18', numClasses: 3, classNames: ['x'] })).rejects.toThrow(
      /1 class names given for a head of 3 classes/,
    );
    tf.dispose([x, ...Object.values(a), ...Object.values(b)]);
    for (const m of [full, probe, fromSt]) m.model.dispose();
  });
});
