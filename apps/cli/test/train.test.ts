// `resnet train`, `eval` and `predict` as a user runs them: run folders, exact resumption, refusals,
// divergence, Ctrl-C, and classifying image files with the trained run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYNTHETIC_CLASSES, drawSynthetic, Rng } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { trainRun } from '../src/commands/train.js';
import { main } from '../src/main.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../bin/resnet.js');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

const quiet = { out: () => undefined, err: () => undefined };
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-train-'));
// A tiny run: ResNet-8 on 96 synthetic images, batches of 8.
const TINY = [
  '--model',
  'resnet8',
  '--synthetic-size',
  '96,40',
  '--batch-size',
  '8',
  '--log-every',
  '1',
  '--eval-every',
  '3',
  '--checkpoint-every',
  '2',
];

function jsonl(file: string): Array<Record<string, number | string>> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number | string>);
}

/** `resnet train` in a process of its own (so that `auto` picks afresh), with extra environment. */
function trainChild(env: Record<string, string>, ...argv: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('resnet train under auto', () => {
  test('the header names the backend; onednn when it runs here, else one line says why and how to get it', async () => {
    const [asIs, without] = await Promise.all([
      trainChild({}, ...TINY, '--iterations', '1', '--out', path.join(tmp(), 'auto')),
      // As on a machine where the addon does not load: the only file tried is one that does not exist.
      trainChild(
        { RESNET_ONEDNN_ADDON: path.join(tmp(), 'missing', 'resnet_onednn.node') },
        ...TINY,
        '--iterations',
        '1',
        '--out',
        path.join(tmp(), 'auto-no-onednn'),
      ),
    ]);
    expect(asIs.code, asIs.stderr).toBe(0);
    expect(without.code, without.stderr).toBe(0);
    const header = (stderr: string): string[] => stderr.split('\n').filter((l) => /^(backend |resnet: note: )/.test(l));
    const [picked, ...rest] = header(asIs.stderr);
    if (/^backend onednn /.test(picked!)) {
      expect(picked).toMatch(/^backend onednn \(oneDNN \d+\.\d+\.\d+ \(\w+, \d+ threads?\)\)$/);
      expect(rest).toEqual([]);
    } else {
      expect(process.env.RESNET_ONEDNN_REQUIRED, 'RESNET_ONEDNN_REQUIRED=1 but auto did not pick onednn').not.toBe('1');
    }
    // Without onednn, auto falls to the next native backend, and one line says why onednn did not run and what fixes it.
    // (A backend before onednn, e.g. WebGPU on a real GPU, needs no note.)
    const [fallback, ...notes] = header(without.stderr);
    const after = /^backend (wasm|cpu) /.test(fallback!);
    expect(notes).toHaveLength(after ? 1 : 0);
    if (after)
      expect(notes[0]).toMatch(
        /^resnet: note: onednn, the native CPU backend \(oneDNN\), is not available here, so (wasm|cpu) runs instead: .*apt-get install libdnnl-dev/,
      );
  }, 120_000);
});

describe('resnet train', () => {
  test('writes the run folder: checkpoint, metrics.jsonl, report, curves, weights; prints the test accuracy', async () => {
    const out = path.join(tmp(), 'run');
    const r = await run('train', ...TINY, '--iterations', '6', '--backend', 'wasm', '--out', out, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/trained resnet8 for 6 iterations in \d\d:\d\d on wasm/);
    expect(r.out).toMatch(/test accuracy: \d+\.\d\d% \(top-1 error \d+\.\d\d%, top-5 error \d+\.\d\d%, 40 images\)/);
    for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'report.html', 'curves.svg', 'weights.safetensors', 'config.json'])
      expect(existsSync(path.join(out, f))).toBe(true);
    const records = jsonl(path.join(out, 'metrics.jsonl'));
    expect(records.filter((r) => r.type === 'log').map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.filter((r) => r.type === 'eval').map((r) => `${r.split}@${r.iteration}`)).toEqual(['test@3', 'test@6']);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('resnet8');
    expect(html).toContain('synthetic');
    expect(readFileSync(path.join(out, 'curves.svg'), 'utf8')).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    // eval: the same numbers as the end of training, with per-class accuracy and the confusion matrix.
    const e = await run('eval', '--run', out, '--backend', 'wasm', '--json');
    expect(e.code).toBe(0);
    const metrics = JSON.parse(e.out) as { top1Error: number; count: number; confusion: number[][] };
    const finalEval = records.filter((r) => r.type === 'eval').at(-1)!;
    expect(metrics.count).toBe(40);
    expect(metrics.top1Error).toBeCloseTo(finalEval.top1Error as number, 10);
    expect(metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(40);
    const text = await run('eval', '--run', out, '--backend', 'wasm');
    expect(text.out).toMatch(/top-1 error \d+\.\d\d%\s+top-5 error/);
    expect(text.out).toMatch(/confusion matrix \(rows: true class, columns: predicted\)/);
    expect(text.out).toContain('h-stripes');

    // predict: PNG files drawn like the synthetic set, top-5 with class names.
    const dir = tmp();
    const images = [0, 7].map((cls) => {
      const px = new Uint8Array(32 * 32 * 3);
      drawSynthetic(cls, new Rng(cls), px);
      const file = path.join(dir, `${SYNTHETIC_CLASSES[cls]}.png`);
      writeFileSync(file, encodePng(px, 32, 32));
      return file;
    });
    const p = await run('predict', ...images, '--run', out, '--backend', 'wasm', '--json');
    expect(p.code).toBe(0);
    const preds = JSON.parse(p.out) as Array<{ image: string; top: Array<{ class: string; probability: number }> }>;
    expect(preds.map((x) => x.image)).toEqual(images);
    for (const x of preds) {
      expect(x.top).toHaveLength(5);
      expect(SYNTHETIC_CLASSES).toContain(x.top[0]!.class);
      expect(x.top[0]!.probability).toBeGreaterThanOrEqual(x.top[4]!.probability);
    }
    const ptext = await run('predict', images[0]!, '--run', out, '--backend', 'wasm', '--top', '3');
    expect(ptext.out.trim().split('\n')).toHaveLength(4);
  }, 120_000);

  test('a run stopped and resumed gives the same losses and weights as one uninterrupted', async () => {
    // wasm here (the cpu backend takes minutes for this); core's trainer test proves it on cpu.
    const base = {
      model: 'resnet8',
      dataset: 'synthetic',
      backend: 'wasm',
      download: false,
      progress: false,
      syntheticSize: { train: 48, test: 16 },
    };
    const overrides = { iterations: 6, batchSize: 8, logEvery: 1, evalEvery: 3, checkpointEvery: 0 };
    const whole = await trainRun({ ...base, overrides, out: path.join(tmp(), 'whole'), resume: false }, quiet);
    const dir = path.join(tmp(), 'parts');
    const first = await trainRun({ ...base, overrides, out: dir, resume: false, stopAt: 4 }, quiet);
    expect(first.outcome.status).toBe('stopped');
    const resumed = await run(
      'train',
      '--model',
      'resnet8',
      '--synthetic-size',
      '48,16',
      '--backend',
      'wasm',
      '--out',
      dir,
      '--resume',
      '--quiet',
    );
    expect(resumed.code).toBe(0);
    const losses = (file: string) =>
      jsonl(file)
        .filter((r) => r.type === 'log')
        .map((r) => r.loss);
    expect(losses(path.join(dir, 'metrics.jsonl'))).toEqual(losses(whole.metricsPath));
    expect(readFileSync(path.join(dir, 'weights.safetensors'))).toEqual(readFileSync(whole.weightsPath));
  }, 120_000);

  test('refuses to overwrite a run, a resume without a checkpoint, and a damaged checkpoint (left as it was)', async () => {
    const out = path.join(tmp(), 'run');
    expect((await run('train', ...TINY, '--iterations', '2', '--backend', 'wasm', '--out', out, '--quiet')).code).toBe(0);
    const again = await run('train', ...TINY, '--iterations', '2', '--backend', 'wasm', '--out', out, '--quiet');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a run \(resnet8, iteration 2 of 2\); pass --resume to continue it, or choose another --out/);
    const none = await run('train', ...TINY, '--backend', 'wasm', '--out', path.join(tmp(), 'empty'), '--resume', '--quiet');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--resume: there is no checkpoint in .*empty \(expected checkpoint.safetensors\)/);
    const file = path.join(out, 'checkpoint.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    const damaged = await run('train', ...TINY, '--iterations', '4', '--backend', 'wasm', '--out', out, '--resume', '--quiet');
    expect(damaged.code).toBe(1);
    expect(damaged.err).toMatch(/checkpoint: .*checkpoint.safetensors is damaged or not a checkpoint: its tensors' SHA-256/);
    expect(readFileSync(file)).toEqual(bytes);
    const other = await run(
      'train',
      '--model',
      'resnet14',
      '--synthetic-size',
      '96,40',
      '--backend',
      'wasm',
      '--out',
      out,
      '--resume',
      '--quiet',
    );
    expect(other.code).not.toBe(0);
    const bad = await run('train', '--lr', 'fast');
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/--lr must be a number > 0, got "fast"/)]);
    const ds = await run('train', '--dataset', 'svhn');
    expect([ds.code, ds.err]).toEqual([2, expect.stringMatching(/--dataset must be one of synthetic, cifar10, .*; got "svhn"/)]);
  }, 120_000);

  test('a diverging run stops with a clear message and keeps the last good checkpoint', async () => {
    const out = path.join(tmp(), 'nan');
    const r = await run(
      'train',
      ...TINY,
      '--iterations',
      '30',
      '--lr',
      '1e30',
      '--warmup',
      'none',
      '--checkpoint-every',
      '1',
      '--backend',
      'wasm',
      '--out',
      out,
      '--quiet',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the loss is (NaN|Infinity) at iteration (\d+) \(learning rate 1e\+30\); training diverged/);
    const at = Number(/at iteration (\d+)/.exec(r.err)![1]);
    expect(r.err).toContain(`the last good checkpoint (iteration ${at - 1}) is kept in ${path.join(out, 'checkpoint.safetensors')}`);
    const e = await run('eval', '--run', out, '--backend', 'wasm', '--json');
    expect(e.code).toBe(0); // the kept checkpoint still loads
  }, 120_000);

  test('Ctrl-C stops after the iteration with a checkpoint (exit 130), and --resume finishes the run', async () => {
    const out = path.join(tmp(), 'sigint');
    const child = spawn(process.execPath, [BIN, 'train', ...TINY, '--iterations', '400', '--backend', 'wasm', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/iter 2\/400/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(stderr).toMatch(/stopping after this iteration and saving a checkpoint/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/stopped at iteration (\d+); checkpoint saved to .*checkpoint.safetensors/);
    expect(stdout).toMatch(/continue with: resnet train --model resnet8 --dataset synthetic --out .* --resume/);
    const stoppedAt = Number(/stopped at iteration (\d+)/.exec(stdout)![1]);
    expect(stoppedAt).toBeLessThan(400);
    const r = await run(
      'train',
      '--model',
      'resnet8',
      '--synthetic-size',
      '96,40',
      '--iterations',
      String(stoppedAt + 2),
      '--backend',
      'wasm',
      '--out',
      out,
      '--resume',
      '--json',
    );
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { iteration: number }).iteration).toBe(stoppedAt + 2);
  }, 120_000);
});

describe('image folders (ImageNet-style)', () => {
  test('train on class folders, then 10-crop and multi-scale evaluation and predict', async () => {
    const root = tmp();
    const { mkdirSync } = await import('node:fs');
    const files: string[] = [];
    for (const split of ['train', 'val']) {
      for (const [cls, rgb] of [
        ['blue', [30, 40, 220]],
        ['red', [220, 30, 30]],
      ] as const) {
        mkdirSync(path.join(root, split, cls), { recursive: true });
        for (let i = 0; i < 2; i++) {
          const [h, w] = [60, 70 + 10 * i];
          const px = new Uint8Array(h * w * 3);
          for (let p = 0; p < h * w; p++) px.set([rgb[0], rgb[1] + (p % 7), rgb[2]], p * 3);
          const file = path.join(root, split, cls, `${i}.png`);
          writeFileSync(file, encodePng(px, h, w));
          files.push(file);
        }
      }
    }
    const out = path.join(tmp(), 'folder-run');
    const t = await run(
      'train',
      '--model',
      'resnet18',
      '--dataset',
      `folder:${root}`,
      '--iterations',
      '1',
      '--batch-size',
      '2',
      '--backend',
      'wasm',
      '--out',
      out,
      '--quiet',
    );
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/test accuracy: \d+\.\d\d% .* 4 images\)/);
    for (const view of ['center', 'ten-crop', 'multi-scale']) {
      const e = await run('eval', '--run', out, '--view', view, '--backend', 'wasm', '--json');
      expect(e.code).toBe(0);
      const m = JSON.parse(e.out) as { view: string; count: number; confusion: number[][]; classNames: string[] };
      expect([m.view, m.count, m.classNames]).toEqual([view, 4, ['blue', 'red']]);
      expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(4);
    }
    const p = await run('predict', files.at(-1)!, '--run', out, '--backend', 'wasm', '--json');
    expect((JSON.parse(p.out) as Array<{ top: unknown[] }>)[0]!.top).toHaveLength(2);
    const synth = await run('eval', '--run', out, '--view', 'ten-crop', '--dataset', 'synthetic', '--backend', 'wasm');
    expect(synth.code).toBe(1);
    expect(synth.err).toMatch(/mean must have 32×32×3 = 3072 values, got 150528/); // 224×224×3: not this model's data
  }, 180_000);
});
