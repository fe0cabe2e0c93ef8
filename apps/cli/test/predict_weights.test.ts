// `resnet predict --weights`: a PyTorch .pth of torchvision's ResNet-18 (random weights, written by
// Debian's PyTorch at test time) classifies a PNG with ImageNet's class names and torchvision's
// preprocessing, exactly as @resnet/core computes it from the same file; a file named like a
// catalogue entry builds that entry's model; bad names are usage errors. Skipped, saying why,
// without /usr/bin/python3 and torch.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGENET_CLASSES, createModel, importPth, optionsFromStateDict, stateDictFromPth } from '@resnet/core';
import { loadImageForModel, readBytes } from '@resnet/node-io';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../src/main.js';

const dir = mkdtempSync(path.join(tmpdir(), 'resnet-predict-'));
const pth = path.join(dir, 'my-resnet18.pth');
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
const photo = path.join(dir, 'photo.png');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** An 8-bit RGB PNG (filter 0 rows, one IDAT), as any PNG encoder writes it. */
function png(width: number, height: number, rgb: Uint8Array): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) Buffer.from(rgb.subarray(y * width * 3, (y + 1) * width * 3)).copy(raw, y * (1 + width * 3) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

beforeAll(() => {
  const pixels = new Uint8Array(300 * 200 * 3).map((_, i) => (i * 37) % 256);
  writeFileSync(photo, png(300, 200, pixels));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(why !== undefined)('resnet predict --weights', () => {
  test("a .pth with --model: ImageNet's names, torchvision's preprocessing, the same probabilities as core computes", async () => {
    const { code, out, err } = await run('predict', photo, '--weights', pth, '--model', 'resnet18', '--backend', 'cpu', '--json');
    expect(code, err).toBe(0);
    expect(err).toContain(`weights: ${pth}; resnet18, basic blocks`);
    const [result] = JSON.parse(out) as Array<{ image: string; top: Array<{ class: string; index: number; probability: number }> }>;
    expect(result!.top).toHaveLength(5);
    for (const t of result!.top) expect(t.class).toBe(IMAGENET_CLASSES[t.index]);
    // The same file and image through core directly: resize 256, crop 224, ImageNet mean and std.
    const bytes = await readBytes(pth);
    const model = createModel('resnet18', optionsFromStateDict('resnet18', stateDictFromPth(bytes)));
    importPth(model, bytes);
    const x = await loadImageForModel(photo, { size: 224, resize: 256, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const p = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(x, [1, 224, 224, 3])))).dataSync();
    model.dispose();
    const best = [...p.keys()].sort((a, b) => p[b]! - p[a]!)[0]!;
    expect(result!.top[0]!.index).toBe(best);
    expect(result!.top[0]!.probability).toBeCloseTo(p[best]!, 4);
  });

  test("a file named like a catalogue entry builds that entry's model (here: the wrong one, refused)", async () => {
    const named = path.join(dir, 'resnet50-11ad3fa6.pth');
    copyFileSync(pth, named);
    const { code, err } = await run('predict', photo, '--weights', named, '--backend', 'cpu');
    expect(code).toBe(1);
    expect(err).toMatch(/weights do not fit resnet50/);
  });
});

describe('resnet predict: usage', () => {
  test('--weights that is neither a file nor a published name, a file without --model, --run with --weights', async () => {
    const unknown = await run('predict', photo, '--weights', 'resnet20-pretrained', '--backend', 'cpu');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /--weights resnet20-pretrained is neither a file nor a published weights name: no published weights are called/,
    );
    const noModel = await run('predict', photo, '--weights', photo, '--backend', 'cpu');
    expect(noModel.code).toBe(2);
    expect(noModel.err).toMatch(/--model is required with .*photo\.png/);
    expect((await run('predict', photo, '--weights', pth, '--run', dir)).code).toBe(2);
    expect((await run('predict', photo, '--weights', pth, '--stride-in', '2x2')).code).toBe(2);
  });
});
