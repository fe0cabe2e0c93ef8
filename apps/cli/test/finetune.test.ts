// Transfer learning as a user runs it: `resnet train --init <saved weights>` on a folder of images
// made here, with a frozen backbone and a new head; the frozen tensors come out byte-identical,
// a stopped run resumes to the same result, and eval/predict use the folder's class names.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng, parseSafetensors } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { trainRun, type TrainRunOptions } from '../src/commands/train.js';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}
const quiet = { out: () => undefined, err: () => undefined };
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-finetune-'));

const COLOURS = { blue: [40, 60, 210], green: [40, 190, 60], red: [210, 50, 40] } as const;

/** root/{train,val}/{blue,green,red}/*.png: noisy images of one colour per class, 36–48 pixels a side. */
function imageFolder(): { root: string; files: string[] } {
  const root = tmp();
  const rng = new Rng(3);
  const files: string[] = [];
  for (const [split, count] of [
    ['train', 12],
    ['val', 4],
  ] as const) {
    for (const [cls, rgb] of Object.entries(COLOURS)) {
      mkdirSync(path.join(root, split, cls), { recursive: true });
      for (let i = 0; i < count; i++) {
        const [h, w] = [36 + rng.int(12), 36 + rng.int(12)];
        const px = new Uint8Array(h * w * 3);
        for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + rng.int(81) - 40));
        const file = path.join(root, split, cls, `${i}.png`);
        writeFileSync(file, encodePng(px, h, w));
        files.push(file);
      }
    }
  }
  return { root, files };
}

async function tensors(file: string): Promise<Map<string, Uint8Array>> {
  const st = parseSafetensors(new Uint8Array(await readFile(file)));
  return new Map([...st.tensors].map(([name, t]) => [name, t.data]));
}

describe('resnet train --init', () => {
  test('fine-tunes a new head on a frozen backbone from saved weights; frozen tensors byte-identical; resumes exactly; eval and predict name the classes', async () => {
    const { root, files } = imageFolder();
    const folder = `folder:${root}`;
    // The "pretrained" weights: a short run of the same network on the same images, saved as a PyTorch-layout state dict.
    const pre = path.join(tmp(), 'pre');
    const first = await run(
      'train',
      '--model',
      'resnet8',
      '--dataset',
      folder,
      '--crop-size',
      '32',
      '--iterations',
      '12',
      '--batch-size',
      '6',
      '--backend',
      'wasm',
      '--out',
      pre,
      '--quiet',
    );
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const saved = path.join(pre, 'weights.safetensors');

    const base: TrainRunOptions = {
      model: 'resnet8',
      init: saved,
      dataset: folder,
      cropSize: 32,
      overrides: { iterations: 24, batchSize: 6, freeze: 'backbone', learningRate: 0.05, checkpointEvery: 4, evalEvery: 12, logEvery: 4 },
      backend: 'wasm',
      out: '',
      resume: false,
      download: false,
      progress: false,
    };
    const whole = await trainRun({ ...base, out: path.join(tmp(), 'whole') }, quiet);
    expect(whole.outcome.status).toBe('finished');
    expect(whole.config.recipe).toBe('finetune');
    expect(whole.config.freeze).toBe('backbone');
    // Three classes: chance is a third.
    expect(1 - whole.outcome.final.test!.top1Error).toBeGreaterThan(2 / 3);

    const before = await tensors(saved);
    const after = await tensors(whole.weightsPath);
    const head = ['linear.weight', 'linear.bias'];
    const backbone = [...before.keys()].filter((n) => !head.includes(n));
    expect(backbone.filter((n) => n.endsWith('running_var')).length).toBe(7); // every BN of ResNet-8, running statistics included
    for (const name of backbone) expect(Buffer.from(after.get(name)!).equals(Buffer.from(before.get(name)!)), name).toBe(true);
    for (const name of head) expect(Buffer.from(after.get(name)!).equals(Buffer.from(before.get(name)!)), name).toBe(false);

    // Stopped at iteration 10 (between checkpoints), then resumed by the CLI: the same weights, to the byte.
    const out = path.join(tmp(), 'stopped');
    const stopped = await trainRun({ ...base, out, stopAt: 10 }, quiet);
    expect(stopped.outcome.status).toBe('stopped');
    const resumed = await run('train', '--dataset', folder, '--backend', 'wasm', '--out', out, '--resume', '--quiet', '--json');
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    const finished = await tensors(path.join(out, 'weights.safetensors'));
    for (const [name, t] of await tensors(whole.weightsPath))
      expect(Buffer.from(finished.get(name)!).equals(Buffer.from(t)), name).toBe(true);

    const e = await run('eval', '--run', out, '--backend', 'wasm', '--json');
    expect(e.code).toBe(0);
    const m = JSON.parse(e.out) as { count: number; classNames: string[]; top1Error: number };
    expect([m.count, m.classNames]).toEqual([12, ['blue', 'green', 'red']]);
    expect(m.top1Error).toBeCloseTo(whole.outcome.final.test!.top1Error, 10);
    const p = await run('predict', files.at(-1)!, '--run', out, '--backend', 'wasm', '--json');
    expect(p.code).toBe(0);
    expect((JSON.parse(p.out) as Array<{ top: Array<{ class: string }> }>)[0]!.top[0]!.class).toBe('red');
  }, 240_000);

  test('refusals name the value: unknown stage, class count, a name that is not published, crop size off folders', async () => {
    const { root } = imageFolder();
    const folder = `folder:${root}`;
    const common = ['--dataset', folder, '--crop-size', '32', '--iterations', '1', '--backend', 'wasm', '--quiet'];
    const stage = await run('train', '--model', 'resnet8', '--freeze', 'conv5_x', ...common, '--out', path.join(tmp(), 'a'));
    expect(stage.code).toBe(2);
    expect(stage.err).toMatch(
      /cannot freeze up to "conv5_x" in resnet8: expected none, backbone or a stage of it \(conv1, conv2_x, conv3_x, conv4_x\)/,
    );
    const classes = await run('train', '--model', 'resnet8', '--classes', '5', ...common, '--out', path.join(tmp(), 'b'));
    expect(classes.code).toBe(2);
    expect(classes.err).toMatch(/--classes 5 does not fit folder:.*, which has 3 classes \(blue, green, red\)/);
    const name = await run('train', '--init', 'resnet18.imagenet9k', ...common, '--out', path.join(tmp(), 'c'));
    expect(name.code).toBe(2);
    expect(name.err).toMatch(/--init resnet18.imagenet9k is neither a file nor a published weights name/);
    const crop = await run(
      'train',
      '--model',
      'resnet8',
      '--crop-size',
      '32',
      '--iterations',
      '1',
      '--backend',
      'wasm',
      '--out',
      path.join(tmp(), 'd'),
    );
    expect(crop.code).toBe(2);
    expect(crop.err).toMatch(/--crop-size is for image folders; synthetic has fixed-size images/);
  }, 120_000);
});
