// `--dataset fashion-mnist:<folder>` and `mnist` (issue #16): a set of the distribution's size
// (60,000 training and 10,000 test images, in the four gzip-compressed IDX files) made here, trained
// on for two iterations with the fashion-mnist recipe's split, evaluated again by `eval --run`; and
// a set that is nowhere, refused with where it was looked for and how to get it.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MNIST_FILES } from '@resnet/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { idxFile } from '../../../packages/core/test/helpers/idx.js';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

const idx = (shape: number[], data: Uint8Array): Buffer => Buffer.from(idxFile(shape, data));

/** Image i: a bright bar whose row is its label, on black; gzip keeps the files small. */
function part(n: number): { images: Buffer; labels: Buffer } {
  const pixels = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    pixels.fill(200, i * 784 + (2 + 2 * labels[i]!) * 28, i * 784 + (3 + 2 * labels[i]!) * 28);
  }
  return { images: idx([n, 28, 28], pixels), labels: idx([n], labels) };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'resnet-fashion-'));
  const train = part(60_000);
  const test = part(10_000);
  writeFileSync(path.join(dir, MNIST_FILES.trainImages), gzipSync(train.images));
  writeFileSync(path.join(dir, MNIST_FILES.trainLabels), gzipSync(train.labels));
  writeFileSync(path.join(dir, MNIST_FILES.testImages), gzipSync(test.images));
  writeFileSync(path.join(dir, MNIST_FILES.testLabels), gzipSync(test.labels));
});

describe('--dataset fashion-mnist:<folder>', () => {
  test('trains a one-channel 28×28 ResNet with the fashion-mnist recipe, and eval --run reopens the same data', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'resnet-fashion-run-')), 'run');
    const r = await run(
      'train',
      ...['--dataset', `fashion-mnist:${dir}`, '--model', 'resnet8', '--iterations', '2', '--batch-size', '16'],
      ...['--backend', 'wasm', '--out', out],
    );
    expect(r.code, r.err).toBe(0);
    const said = r.out + r.err;
    expect(said).toContain(
      `Fashion-MNIST from ${dir} (55,000 train / 5,000 val / 10,000 test, 28×28 grayscale; augmented by 4-pixel crops, flips, random erasing)`,
    );
    expect(said).toMatch(/recipe fashion-mnist: batch 16, 2 iterations/);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as {
      model: { inputSize: number; inputChannels: number };
      config: { recipe: string; valSize: number };
    };
    expect([config.model.inputSize, config.model.inputChannels]).toEqual([28, 1]);
    expect([config.config.recipe, config.config.valSize]).toEqual(['fashion-mnist', 5_000]);
    expect(r.out).toMatch(/test accuracy: [\d.]+% \(top-1 error [\d.]+%, top-5 error [\d.]+%, 10,000 images\)/);
    const e = await run('eval', '--run', out, '--backend', 'wasm');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/10,?000 images/);
    // A colour photo for the one-channel net: its luma, at 28×28; the answer names Fashion-MNIST's classes.
    const photo = path.join(dir, 'photo.png');
    writeFileSync(
      photo,
      encodePng(
        Uint8Array.from({ length: 40 * 40 * 3 }, (_, i) => (i * 7) % 256),
        40,
        40,
      ),
    );
    const p = await run('predict', '--run', out, '--backend', 'wasm', photo);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\s+\d+\.\d+%/);
  }, 300_000);

  test('experiment degradation trains plain and residual one-channel nets on it and draws both figures', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'resnet-fashion-exp-')), 'exp');
    const r = await run(
      ...['experiment', 'degradation', '--dataset', `fashion-mnist:${dir}`, '--depths', '8', '--iterations', '2', '--batch-size', '16'],
      ...['--max-examples', '20', '--backend', 'wasm', '--out', out, '--quiet'],
    );
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      recipe: string;
      models: { model: string; iterations: number; finalTestError: number }[];
    };
    expect(summary.recipe).toBe('fashion-mnist');
    expect(summary.models.map((m) => [m.model, m.iterations])).toEqual([
      ['plain8', 2],
      ['resnet8', 2],
    ]);
    for (const m of summary.models) {
      const config = JSON.parse(readFileSync(path.join(out, m.model, 'config.json'), 'utf8')) as { model: { inputChannels: number } };
      expect(config.model.inputChannels).toBe(1);
    }
    for (const figure of ['degradation.svg', 'responses.svg'])
      expect(readFileSync(path.join(out, figure), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*plain-8/);
  }, 300_000);

  test('the summary counts the one input channel: conv1 is 3×3×1×16 = 144 weights, on a 28×28 input', async () => {
    const one = await run('summary', 'resnet20', '--channels', '1', '--input', '28', '--json');
    const three = await run('summary', 'resnet20', '--input', '28', '--json');
    expect(one.code, one.err).toBe(0);
    const params = (o: string): number => (JSON.parse(o) as { params: number }).params;
    expect(params(three.out) - params(one.out)).toBe(2 * 144); // conv1 loses two of its three input planes
    expect((JSON.parse(one.out) as { inputShape: number[] }).inputShape).toEqual([28, 28, 1]);
  });

  test('a set that is nowhere: where it was looked for, and the ways to get it (exit 2, nothing made)', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'resnet-cache-'));
    const before = process.env['RESNET_CACHE'];
    process.env['RESNET_CACHE'] = cache;
    try {
      const out = path.join(cache, 'run');
      const r = await run('train', '--dataset', 'mnist', '--model', 'resnet8', '--iterations', '1', '--out', out);
      expect(r.code).toBe(2);
      expect(r.err).toContain(
        `MNIST is not in ${path.join(cache, 'mnist')}; pass --download to fetch it (four files, about 11 MB, MD5 verified) or --dataset mnist:<folder>`,
      );
      const notFolder = await run('train', '--dataset', `fashion-mnist:${path.join(dir, MNIST_FILES.trainImages)}`, '--out', out);
      expect(notFolder.code).toBe(2);
      expect(notFolder.err).toContain('is not a folder (expected one holding train-images-idx3-ubyte.gz');
      mkdirSync(path.join(cache, 'empty'));
      const empty = await run('train', '--dataset', `fashion-mnist:${path.join(cache, 'empty')}`, '--model', 'resnet8', '--out', out);
      expect(empty.code).toBe(1);
      expect(empty.err).toContain('does not hold the MNIST-format files: missing train-images-idx3-ubyte.gz');
    } finally {
      if (before === undefined) delete process.env['RESNET_CACHE'];
      else process.env['RESNET_CACHE'] = before;
    }
  });
});
