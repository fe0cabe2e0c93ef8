// Bad files as they really arrive at the CLI (issue #15, "the first hour"): a PNG damaged on disk,
// one unreadable image among several, an --out that is a file, a checkpoint without its spec, a
// truncated config.json, an image folder of one class. Each gets a clear message naming the file
// (exit 1 for bad files, 2 for usage, no stack trace), and no file is changed.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SYNTHETIC_CLASSES, Rng, drawSynthetic, parseCheckpoint, serializeCheckpoint } from '@resnet/core';
import { sharpImageDecoder } from '@resnet/node-io';
import { beforeAll, describe, expect, test } from 'vitest';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { main } from '../src/main.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-files-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

const TINY = ['--model', 'resnet8', '--synthetic-size', '96,40', '--batch-size', '8', '--backend', 'wasm', '--quiet'];

/** Every file under `dir` with its bytes, to show a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, file)] = readFileSync(file).toString('base64');
    }
  }
  return out;
}

/** A 32×32 image of synthetic class `cls` as a PNG file. */
function synthetic(dir: string, cls: number, name = `${SYNTHETIC_CLASSES[cls]}.png`): string {
  const px = new Uint8Array(32 * 32 * 3);
  drawSynthetic(cls, new Rng(cls), px);
  const file = path.join(dir, name);
  writeFileSync(file, encodePng(px, 32, 32));
  return file;
}

/** The PNG with one byte of its IDAT data flipped: the first, from the middle on, whose damage the old lenient decoding (failOn 'truncated') let through. */
async function silentlyCorrupt(png: Uint8Array): Promise<Uint8Array> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (String.fromCharCode(...png.subarray(at + 4, at + 8)) !== 'IDAT') at += 12 + view.getUint32(at);
  const [start, length] = [at + 8, view.getUint32(at)];
  const lenient = sharpImageDecoder({ failOn: 'truncated' });
  for (let i = start + Math.floor(length / 2); i < start + length; i++) {
    const out = Uint8Array.from(png);
    out[i]! ^= 0xff;
    if (
      await lenient.decode(out).then(
        () => true,
        () => false,
      )
    )
      return out;
  }
  throw new Error('no byte of the IDAT data could be damaged silently');
}

let runDir: string;

beforeAll(async () => {
  runDir = path.join(tmp(), 'run');
  const t = await run('train', ...TINY, '--iterations', '1', '--out', runDir);
  expect(t.code, t.err).toBe(0);
}, 120_000);

describe('resnet predict with bad images', () => {
  test('1. a PNG whose pixel data is damaged is refused, naming the file (exit 1), not classified', async () => {
    const dir = tmp();
    const good = readFileSync(synthetic(dir, 3));
    const bad = path.join(dir, 'damaged.png');
    writeFileSync(bad, await silentlyCorrupt(new Uint8Array(good)));
    const r = await run('predict', bad, '--run', runDir, '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^node-io: cannot decode ${bad} \\(\\d+ bytes\\) with sharp \\S+ \\(linear\\): .+$`, 'm'));
    expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
  }, 60_000);

  test('2. one unreadable image among several: the good ones are classified, the bad ones named with the reason, exit 1', async () => {
    const dir = tmp();
    const a = synthetic(dir, 0, 'a.png');
    const c = synthetic(dir, 7, 'c.png');
    const bad = path.join(dir, 'bad.png');
    writeFileSync(bad, readFileSync(a).subarray(0, 60)); // cut off after the header
    const missing = path.join(dir, 'missing.png');
    const before = snapshot(dir);

    const r = await run('predict', a, bad, c, missing, '--run', runDir, '--backend', 'wasm', '--top', '3');
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('  '))).toEqual([a, c]);
    expect(lines).toHaveLength(2 * 4);
    expect(r.err).toMatch(new RegExp(`^node-io: cannot decode ${bad} \\(60 bytes\\) with sharp .+$`, 'm'));
    expect(r.err).toContain(`node-io: cannot read ${missing}: no such file or directory (ENOENT)`);
    expect(r.err).toContain(`resnet: 2 of 4 images could not be classified: ${bad}, ${missing}`);
    expect(r.err).not.toMatch(/unexpected error|\n\s+at /);

    const j = await run('predict', a, bad, c, '--run', runDir, '--backend', 'wasm', '--json');
    expect(j.code).toBe(1);
    const entries = JSON.parse(j.out) as Array<{ image: string; top?: Array<{ class: string }>; error?: string }>;
    expect(entries.map((e) => e.image)).toEqual([a, bad, c]);
    expect(entries[0]!.top).toHaveLength(5);
    expect(entries[2]!.top).toHaveLength(5);
    expect(entries[1]!.top).toBeUndefined();
    expect(entries[1]!.error).toMatch(new RegExp(`^node-io: cannot decode ${bad} \\(60 bytes\\) with sharp`));
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);
});

describe('resnet train --out that is a file', () => {
  test('6. --out naming a file, or a path under one, is a usage error (exit 2) and the file is left as it was', async () => {
    const dir = tmp();
    const file = path.join(dir, 'some-file.txt');
    writeFileSync(file, 'notes\n');
    const r = await run('train', ...TINY, '--iterations', '1', '--out', file);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toBe(`resnet: --out ${file} is a file, expected a folder (or a new path)\nrun "resnet --help" for usage\n`);
    const under = path.join(file, 'run');
    const n = await run('train', ...TINY, '--iterations', '1', '--out', under);
    expect([n.code, n.out]).toEqual([2, '']);
    expect(n.err).toBe(
      `resnet: --out ${under} is under ${file}, which is a file; expected a folder (or a new path)\nrun "resnet --help" for usage\n`,
    );
    const resumed = await run('train', ...TINY, '--out', file, '--resume');
    expect([resumed.code, resumed.err.split('\n')[0]]).toEqual([2, `resnet: --out ${file} is a file, expected a folder (or a new path)`]);
    expect(snapshot(dir)).toEqual({ 'some-file.txt': Buffer.from('notes\n').toString('base64') });
  }, 60_000);
});

describe('a damaged run folder', () => {
  /** A copy of the trained run folder. */
  function copyRun(): string {
    const dir = path.join(tmp(), 'copy');
    mkdirSync(dir);
    for (const f of readdirSync(runDir)) writeFileSync(path.join(dir, f), readFileSync(path.join(runDir, f)));
    return dir;
  }

  test('7a. a checkpoint whose metadata has no spec: eval and predict name the file and the missing field (exit 1)', async () => {
    const dir = copyRun();
    const file = path.join(dir, 'checkpoint.safetensors');
    const c = await parseCheckpoint(new Uint8Array(readFileSync(file)), file);
    const { spec: _spec, ...meta } = c.meta;
    writeFileSync(file, await serializeCheckpoint({ ...c, meta: meta as unknown as typeof c.meta }));
    const before = snapshot(dir);
    const image = synthetic(tmp(), 1);
    const message = `checkpoint: ${file} is damaged or not a checkpoint: its metadata has no "spec"\n`;
    for (const argv of [
      ['eval', '--run', dir],
      ['predict', image, '--run', dir],
      ['predict', image, '--run', file],
    ]) {
      const r = await run(...argv, '--backend', 'wasm');
      expect([r.code, r.out], argv.join(' ')).toEqual([1, '']);
      expect(r.err.endsWith(`\n${message}`), `${argv.join(' ')}: ${r.err}`).toBe(true);
    }
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);

  test('7b. a truncated config.json: eval and predict name it and say it is not valid JSON (exit 1)', async () => {
    const dir = copyRun();
    const config = path.join(dir, 'config.json');
    const text = readFileSync(config);
    writeFileSync(config, text.subarray(0, Math.floor(text.length / 2)));
    const before = snapshot(dir);
    const image = synthetic(tmp(), 1);
    for (const argv of [
      ['eval', '--run', dir],
      ['predict', image, '--run', dir],
    ]) {
      const r = await run(...argv, '--backend', 'wasm');
      expect([r.code, r.out], argv.join(' ')).toEqual([1, '']);
      expect(r.err, argv.join(' ')).toMatch(
        new RegExp(`\\nnode-io: ${config} is not valid JSON \\(.+\\); it should hold what resnet train recorded for the run\\n$`),
      );
      expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
    }
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);

  test('9. a missing run is still a usage error with the CLI wording (exit 2)', async () => {
    const missing = path.join(tmp(), 'nope');
    const r = await run('eval', '--run', missing, '--backend', 'wasm');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`resnet: no checkpoint at ${missing} (pass a run folder made by resnet train, or its checkpoint.safetensors)`);
  });
});

describe('resnet train on a folder of one class', () => {
  test('8. is refused when the folder is listed, naming it and its class (exit 1), and no run folder is made', async () => {
    const root = tmp();
    for (const split of ['train', 'val']) {
      mkdirSync(path.join(root, split, 'x'), { recursive: true });
      for (const i of [0, 1]) synthetic(path.join(root, split, 'x'), i, `${i}.png`);
    }
    const before = snapshot(root);
    const out = path.join(tmp(), 'run');
    const r = await run(
      'train',
      '--model',
      'resnet18',
      '--dataset',
      `folder:${root}`,
      '--iterations',
      '1',
      '--backend',
      'wasm',
      '--out',
      out,
      '--quiet',
    );
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toBe(`node-io: image folder ${path.join(root, 'train')} has 1 class ("x"); a classifier needs at least 2\n`);
    expect(snapshot(root)).toEqual(before);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  }, 60_000);
});
