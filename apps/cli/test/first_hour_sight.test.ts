// What a new user sees first (issue #15): no native noise from probing backends, an unknown model
// said before anything else, wrapped doctor lines, every column and option named, suggestions for
// typos, the schedule that will actually run, and clear refusals of weights given in the wrong place.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { EVAL_HELP, EVAL_OPTIONS } from '../src/commands/eval.js';
import { PREDICT_HELP, PREDICT_OPTIONS } from '../src/commands/predict.js';
import { TRAIN_HELP, TRAIN_OPTIONS } from '../src/commands/train.js';
import { wrapText } from '../src/commands/doctor.js';
import { main } from '../src/main.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/resnet.js');
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-sight-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** The real binary in a session without XDG_RUNTIME_DIR (ssh, containers, CI), as a new user runs it. */
function resnet(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const { XDG_RUNTIME_DIR: _none, ...env } = process.env;
  return spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', env, timeout: 120_000 });
}

const NATIVE_NOISE = /XDG_RUNTIME_DIR|Vulkan|dawn|PhysicalDevice/i;

describe('first sight', () => {
  test('doctor prints nothing native, and its lines fit a terminal', () => {
    const r = resnet('doctor');
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(NATIVE_NOISE);
    // Lines break between words at 100 columns (not a terminal); only a single long word (a path) may pass it.
    const sections = r.stdout.slice(r.stdout.indexOf('\nwhy not:'));
    expect(sections.length).toBeGreaterThan(100);
    for (const line of sections.split('\n'))
      if (line.length > 100)
        expect(
          line
            .trim()
            .split(' ')
            .some((w) => w.length > 60),
          line,
        ).toBe(true);
    expect(wrapText('aa bb cc dd', 8)).toEqual(['  aa bb', '    cc', '    dd']);
  }, 120_000);

  test('an unknown model is the first and only thing train says', () => {
    const r = resnet('train', '--model', 'resnet9999', '--backend', 'auto');
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^resnet: unknown model "resnet9999"; known models: /);
    expect(r.stderr).not.toMatch(NATIVE_NOISE);
    expect(r.stderr).not.toMatch(/^backend /m);
  }, 60_000);

  test('models: every column has a header', async () => {
    const r = await run('models');
    const [header, rule, first] = r.out.split('\n');
    expect(header!.trim().split(/\s{2,}/)).toEqual(['model', 'family', 'depth', 'kind', 'params', 'mult-adds', 'input']);
    expect(rule!.trim().split(/\s+/)).toHaveLength(7);
    expect(first!.trim().split(/\s{2,}/)).toHaveLength(7);
  });

  test('every option a command takes is in its help; a typo gets the closest one', async () => {
    for (const [help, options] of [
      [TRAIN_HELP, TRAIN_OPTIONS],
      [EVAL_HELP, EVAL_OPTIONS],
      [PREDICT_HELP, PREDICT_OPTIONS],
    ] as const)
      for (const name of Object.keys(options)) expect(help, name).toContain(`--${name}`);
    const typo = await run('train', '--modle', 'resnet8');
    expect(typo.code).toBe(2);
    expect(typo.err).toBe('resnet: unknown option --modle for train; did you mean --model?\nrun "resnet train --help" for its options\n');
    const far = await run('predict', 'x.png', '--colour', 'red');
    expect(far.err).toMatch(/^resnet: unknown option --colour for predict\nrun "resnet predict --help"/);
    const lr = await run('train', '--lr', '0');
    expect([lr.code, lr.err]).toEqual([2, expect.stringMatching(/--lr must be a number > 0, got "0"/)]);
  });

  test("a shorter run keeps the recipe's shape, and the header shows the schedule that runs", async () => {
    const out = path.join(tmp(), 'short');
    const r = await run(
      'train',
      '--model',
      'resnet8',
      '--synthetic-size',
      '96,40',
      '--iterations',
      '20',
      '--batch-size',
      '8',
      '--backend',
      'wasm',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    // The synthetic recipe's 30-iteration warm-up and milestones 190, 260 of 300, stretched to 20.
    expect(r.err).toContain('lr 0.01 until iteration 2, then 0.05, ÷10 at 13, 17,');
    expect(r.out).toContain(`eval and predict take --run ${out}`);
  }, 60_000);

  test('weights in the wrong place are refused saying where they go', async () => {
    const out = path.join(tmp(), 'w');
    expect(
      (
        await run(
          'train',
          '--model',
          'resnet8',
          '--synthetic-size',
          '96,40',
          '--iterations',
          '1',
          '--batch-size',
          '8',
          '--backend',
          'wasm',
          '--out',
          out,
          '--quiet',
        )
      ).code,
    ).toBe(0);
    const npy = path.join(tmp(), 'x.npy');
    const { serializeNpy } = await import('@resnet/core');
    (await import('node:fs')).writeFileSync(npy, serializeNpy([1, 32, 32, 3], new Float32Array(3072)));
    const ckpt = await run(
      'infer',
      '--model',
      'resnet8',
      '--weights',
      path.join(out, 'checkpoint.safetensors'),
      '--input',
      npy,
      '--output',
      path.join(tmp(), 'y.npy'),
      '--backend',
      'wasm',
    );
    expect(ckpt.code).toBe(1);
    expect(ckpt.err).toMatch(
      /checkpoint\.safetensors is a training checkpoint, not weights: pass the run's weights\.safetensors .* or use resnet eval\/predict --run /,
    );
    const other = await run(
      'infer',
      '--model',
      'resnet18',
      '--weights',
      path.join(out, 'weights.safetensors'),
      '--input',
      npy,
      '--output',
      path.join(tmp(), 'y.npy'),
      '--backend',
      'wasm',
    );
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/weights\.safetensors holds resnet8 weights, not resnet18: pass --model resnet8/);
  }, 60_000);
});
