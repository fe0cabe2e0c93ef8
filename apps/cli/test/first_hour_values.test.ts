// Wrong results that used to be reported as success, and files a command reads being overwritten
// (issue #15): NaN/Inf weights in a checkpoint or weights file, integer or NaN `.npy` input, and
// `infer --output` naming a file it reads.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCheckpoint, serializeCheckpoint, serializeNpy } from '@resnet/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-values-'));

/** A .npy of `dtype` ('<f4' or '|u1') and shape [1, 32, 32, 3] holding `values`. */
function npy(dtype: string, values: ArrayLike<number>): Uint8Array {
  const f32 = serializeNpy([1, 32, 32, 3], Float32Array.from(values));
  if (dtype === '<f4') return f32;
  const header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (1, 32, 32, 3), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const text = `${header}${' '.repeat(pad % 64)}\n`;
  const out = new Uint8Array(10 + text.length + values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  out.set(new TextEncoder().encode(text), 10);
  out.set(Uint8Array.from(values), 10 + text.length);
  return out;
}

let runDir = '';
beforeAll(async () => {
  runDir = path.join(tmp(), 'run');
  const r = await run(
    'train',
    '--model',
    'resnet8',
    '--synthetic-size',
    '96,40',
    '--iterations',
    '2',
    '--batch-size',
    '8',
    '--backend',
    'wasm',
    '--out',
    runDir,
    '--quiet',
  );
  expect(r.code).toBe(0);
}, 120_000);

describe('non-finite weights are refused, not evaluated', () => {
  test('a checkpoint with a NaN: eval and predict exit 1 naming the tensor', async () => {
    const c = await parseCheckpoint(new Uint8Array(readFileSync(path.join(runDir, 'checkpoint.safetensors'))));
    c.weights.get('layer2.0.conv1.weight')!.data[3] = Number.NaN;
    c.weights.get('layer2.0.conv1.weight')!.data[4] = Number.POSITIVE_INFINITY;
    const bad = path.join(tmp(), 'nan.safetensors');
    writeFileSync(bad, await serializeCheckpoint(c));
    const e = await run('eval', '--run', bad, '--dataset', 'synthetic', '--backend', 'wasm');
    expect(e.code).toBe(1);
    expect(e.err).toMatch(
      /weights for resnet8 hold 2 NaN or infinite values, first in "layer2.0.conv1.weight" \(2 of 4608\): the file is damaged or was saved from a run that diverged/,
    );
    expect(e.out).toBe('');
    const image = path.join(tmp(), 'x.png');
    writeFileSync(image, encodePng(new Uint8Array(32 * 32 * 3).fill(90), 32, 32));
    const p = await run('predict', image, '--run', bad, '--backend', 'wasm');
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/weights for resnet8 hold 2 NaN or infinite values, first in "layer2.0.conv1.weight"/);
    expect(p.out).not.toMatch(/NaN/);
    const good = await run('predict', image, '--run', runDir, '--backend', 'wasm');
    expect(good.code).toBe(0); // the run's own checkpoint still works
  });
});

describe('infer refuses input that would give meaningless logits, and never overwrites what it reads', () => {
  const weights = (): string => path.join(runDir, 'weights.safetensors');
  test('uint8 pixels and NaN values are refused; nothing is written', async () => {
    const dir = tmp();
    const raw = path.join(dir, 'raw.npy');
    writeFileSync(
      raw,
      npy(
        '|u1',
        Array.from({ length: 3072 }, (_, i) => i % 256),
      ),
    );
    const out = path.join(dir, 'logits.npy');
    const u8 = await run('infer', '--model', 'resnet8', '--weights', weights(), '--input', raw, '--output', out, '--backend', 'wasm');
    expect(u8.code).toBe(1);
    expect(u8.err).toMatch(/raw\.npy holds \|u1 values \(raw pixels\?\); infer takes float32 images normalised as the model was trained/);
    const nan = path.join(dir, 'nan.npy');
    const values = new Float32Array(3072);
    values[100] = Number.NaN;
    writeFileSync(nan, npy('<f4', values));
    const n = await run('infer', '--model', 'resnet8', '--weights', weights(), '--input', nan, '--output', out, '--backend', 'wasm');
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/nan\.npy holds 1 NaN or infinite value \(the first at flat index 100\); nothing was written/);
    expect(existsSync(out)).toBe(false);
  });

  test('--output naming the input or the weights is refused, and both stay byte-identical', async () => {
    const dir = tmp();
    const input = path.join(dir, 'x.npy');
    writeFileSync(input, npy('<f4', new Float32Array(3072)));
    const before = [readFileSync(input), readFileSync(weights())];
    for (const output of [input, weights(), path.join(dir, '.', 'x.npy')]) {
      const r = await run('infer', '--model', 'resnet8', '--weights', weights(), '--input', input, '--output', output, '--backend', 'wasm');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--output .* is a file infer reads \(.*\); choose another path, nothing was written/);
    }
    expect(readFileSync(input).equals(before[0]!)).toBe(true);
    expect(readFileSync(weights()).equals(before[1]!)).toBe(true);
  });
});

describe('--val-size on the synthetic set', () => {
  test('holds out that many training images and evaluates on them, as for CIFAR-10', async () => {
    const out = path.join(tmp(), 'val');
    const r = await run(
      'train',
      '--model',
      'resnet8',
      '--synthetic-size',
      '96,40',
      '--val-size',
      '16',
      '--iterations',
      '2',
      '--batch-size',
      '8',
      '--backend',
      'wasm',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.out + r.err).toContain('synthetic shapes (80 train / 16 val / 40 test, 10 classes)');
    expect(r.out).toMatch(/validation accuracy: [\d.]+% \(top-1 error [\d.]+%, top-5 error [\d.]+%, 16 images\)/);
    const records = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; split?: string; examples?: number });
    const val = records.filter((e) => e.type === 'eval' && e.split === 'val');
    expect(val.length).toBeGreaterThan(0);
  }, 120_000);

  test('a --val-size of the whole training set is refused before any work', async () => {
    const out = path.join(tmp(), 'val-all');
    const r = await run(
      'train',
      '--model',
      'resnet8',
      '--synthetic-size',
      '96,40',
      '--val-size',
      '96',
      '--iterations',
      '2',
      '--backend',
      'wasm',
      '--out',
      out,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain("--val-size 96 must be less than the synthetic set's 96 training images");
    expect(existsSync(out)).toBe(false);
  });
});
