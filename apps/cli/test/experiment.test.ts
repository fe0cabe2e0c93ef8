// `resnet experiment` as a user runs it, with tiny settings on the wasm backend: the degradation
// experiment trains plain-8 and ResNet-8, draws both figures and writes the summary; running it again
// continues the finished runs instead of training anew; `responses` measures the checkpoints it made;
// usage mistakes exit 2 with the reason.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeComparison, experimentCommand } from '../src/commands/experiment.js';
import { UsageError } from '../src/errors.js';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-experiment-'));
const TINY = ['--depths', '8', '--iterations', '4', '--batch-size', '8', '--synthetic-size', '64,24', '--backend', 'wasm'];

interface Summary {
  experiment: string;
  recipe: string;
  models: Array<{
    model: string;
    label: string;
    kind: string;
    depth: number;
    iterations: number;
    finalTrainError: number;
    finalTestError: number;
    checkpoint: string;
    responses: { examples: number; meanStd: number; layers: Array<{ name: string; std: number }> };
  }>;
  files: { degradation: string; responses: string; summary: string };
}

describe('resnet experiment degradation', () => {
  test(
    'trains plain-8 and ResNet-8, writes degradation.svg, responses.svg and summary.json; a second run continues them',
    { timeout: 300_000 },
    async () => {
      const out = path.join(tmp(), 'exp');
      const first = await run('experiment', 'degradation', ...TINY, '--out', out, '--quiet', '--json');
      expect(first.err).toBe('');
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.out) as Summary;
      expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'))).toEqual(summary);
      expect(summary.recipe).toBe('synthetic');
      expect(summary.models.map((m) => [m.model, m.label, m.kind, m.depth, m.iterations])).toEqual([
        ['plain8', 'plain-8', 'plain', 8, 4],
        ['resnet8', 'ResNet-8', 'residual', 8, 4],
      ]);
      for (const m of summary.models) {
        expect(m.finalTrainError).toBeGreaterThanOrEqual(0);
        expect(m.finalTrainError).toBeLessThanOrEqual(1);
        expect(m.finalTestError).toBeGreaterThanOrEqual(0);
        expect(m.checkpoint).toBe(path.join(out, m.model, 'checkpoint.safetensors'));
        expect(existsSync(m.checkpoint)).toBe(true);
        // conv1 and two 3×3 convs per block: 7 layers, measured on the 24 test images.
        expect(m.responses.examples).toBe(24);
        expect(m.responses.layers.map((l) => l.name)).toEqual([
          'bn1',
          'layer1.0.bn1',
          'layer1.0.bn2',
          'layer2.0.bn1',
          'layer2.0.bn2',
          'layer3.0.bn1',
          'layer3.0.bn2',
        ]);
        expect(m.responses.layers.every((l) => l.std > 0)).toBe(true);
      }
      expect(summary.files).toEqual({
        degradation: path.join(out, 'degradation.svg'),
        responses: path.join(out, 'responses.svg'),
        summary: path.join(out, 'summary.json'),
      });
      for (const file of [summary.files.degradation, summary.files.responses]) {
        const svg = readFileSync(file, 'utf8');
        expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
        expect(svg).toContain('plain-8');
        expect(svg).toContain('ResNet-8');
      }

      // Again: the finished runs are continued (nothing retrained), and the table is printed.
      const checkpointTime = statSync(summary.models[0]!.checkpoint).mtimeMs;
      const again = await run('experiment', 'degradation', ...TINY, '--out', out);
      expect(again.code).toBe(0);
      expect(again.err).toMatch(/\[1\/2\] plain8 \(continuing its run\)/);
      expect(again.err).toMatch(/the run in .*plain8 is already finished \(iteration 4 of 4\); nothing was changed/);
      expect(again.err).not.toMatch(/iter 1\/4/);
      expect(again.out).toMatch(/model\s+depth\s+final train error\s+final test error\s+mean response std\s+report/);
      expect(again.out).toMatch(/plain8\s+8\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d{3}\s+\S+report\.html/);
      expect(again.out).toMatch(/resnet8\s+8\s+\d+\.\d\d%\s+\d+\.\d\d%/);
      expect(again.out).toContain(`degradation figure: ${summary.files.degradation}`);
      expect(statSync(summary.models[0]!.checkpoint).mtimeMs).toBeGreaterThanOrEqual(checkpointTime);
      const second = JSON.parse(readFileSync(summary.files.summary, 'utf8')) as Summary;
      second.models.forEach((m, i) => {
        expect(m.finalTrainError).toBe(summary.models[i]!.finalTrainError);
        expect(m.finalTestError).toBeCloseTo(summary.models[i]!.finalTestError, 10);
      });

      // responses: the same checkpoints (a folder and a file) give the same stds as the experiment measured.
      const chart = path.join(out, 'fig7.svg');
      const r = await run(
        'experiment',
        'responses',
        '--checkpoint',
        path.join(out, 'plain8'),
        '--checkpoint',
        summary.models[1]!.checkpoint,
        '--synthetic-size',
        '64,24',
        '--backend',
        'wasm',
        '--out',
        chart,
        '--json',
      );
      expect(r.code).toBe(0);
      const measured = JSON.parse(r.out) as {
        chart: string;
        models: Array<{ name: string; model: string; meanStd: number; layers: Array<{ name: string; std: number }> }>;
      };
      expect(measured.chart).toBe(chart);
      expect(measured.models.map((m) => [m.name, m.model])).toEqual([
        ['plain-8', 'plain8'],
        ['ResNet-8', 'resnet8'],
      ]);
      measured.models.forEach((m, i) =>
        m.layers.forEach((l, j) => expect(l.std).toBeCloseTo(summary.models[i]!.responses.layers[j]!.std, 5)),
      );
      expect(readFileSync(chart, 'utf8')).toMatch(/^<svg[\s\S]*ResNet-8[\s\S]*<\/svg>\s*$/);
      const text = await run(
        'experiment',
        'responses',
        '--checkpoint',
        path.join(out, 'resnet8'),
        '--checkpoint',
        path.join(out, 'resnet8'),
        '--synthetic-size',
        '64,24',
        '--backend',
        'wasm',
        '--out',
        chart,
        '--max-examples',
        '8',
      );
      expect(text.code).toBe(0);
      expect(text.out).toMatch(/network\s+model\s+3×3 layers\s+mean std\s+checkpoint/);
      // Two runs of the same model are told apart by their folder.
      expect(text.out).toMatch(/ResNet-8 \(resnet8\)\s+resnet8\s+7\s+\d+\.\d{4}/);
    },
  );
});

describe('resnet experiment: usage', () => {
  test.each([
    [['experiment'], /experiment needs one of: degradation, responses/],
    [['experiment', 'fig8'], /unknown experiment "fig8"; experiments are degradation, responses/],
    [
      ['experiment', 'degradation', '--depths', '9'],
      /--depths must be CIFAR depths 6n\+2 \(8, 14, 20, 32, 44, 56, 110, …\), comma-separated; got "9" in "9"/,
    ],
    [['experiment', 'degradation', '--depths', '20,,56'], /got "" in "20,,56"/],
    [['experiment', 'degradation', '--depths', '8,8'], /--depths lists 8 twice in "8,8"/],
    [['experiment', 'degradation', '--iterations', '0'], /--iterations must be a positive integer, got "0"/],
    [
      ['experiment', 'degradation', '--backend', 'tpu'],
      /--backend must be one of auto, node-gpu, node, webgpu, onednn, wasm, cpu, got "tpu"/,
    ],
    [
      ['experiment', 'degradation', '--recipe', 'fast'],
      /--recipe must be one of cifar10-paper, fashion-mnist, imagenet-paper, synthetic, finetune, got "fast"/,
    ],
    [['experiment', 'degradation', '--synthetic-size', '100'], /--synthetic-size must be <train>,<test>, e.g. 10000,2000; got "100"/],
    [['experiment', 'degradation', 'plain20'], /experiment degradation takes options only, got "plain20"/],
    [['experiment', 'degradation', '--bogus'], /--bogus/],
    [['experiment', 'responses'], /experiment responses needs at least one --checkpoint/],
    [['experiment', 'responses', '--checkpoint', 'a.safetensors', '--out', 'fig.png'], /--out must name an \.svg file, got "fig\.png"/],
  ])('%j → exit 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  test('a missing checkpoint exits 2 naming it; --help prints both experiments', async () => {
    const missing = path.join(tmp(), 'nowhere');
    const r = await run('experiment', 'responses', '--checkpoint', missing, '--backend', 'cpu', '--out', path.join(tmp(), 'r.svg'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no checkpoint at ${missing} (pass a run folder made by resnet train, or its checkpoint.safetensors)`);
    for (const argv of [
      ['experiment', '--help'],
      ['experiment', 'degradation', '--help'],
    ]) {
      const h = await run(...argv);
      expect(h.code).toBe(0);
      expect(h.out).toMatch(/resnet experiment degradation[\s\S]*resnet experiment responses/);
    }
  });

  test('called directly, usage mistakes are UsageErrors', async () => {
    const io = { out: () => undefined, err: () => undefined };
    await expect(experimentCommand(['degradation', '--depths', '7'], io)).rejects.toThrow(UsageError);
  });
});

test('the depth comparison reads as the paper does', () => {
  const c = { shallow: { model: 'plain20', depth: 20 }, deep: { model: 'plain56', depth: 56 }, testErrorGap: null };
  expect(describeComparison({ ...c, kind: 'plain', trainErrorGap: 0.032, degraded: true })).toBe(
    'plain nets: plain56 trains worse than plain20 (final training error +3.20 points): degradation, as in the paper',
  );
  const r = { shallow: { model: 'resnet20', depth: 20 }, deep: { model: 'resnet56', depth: 56 }, testErrorGap: null };
  expect(describeComparison({ ...r, kind: 'residual', trainErrorGap: -0.01, degraded: false })).toBe(
    'ResNets: resnet56 trains better than resnet20 (final training error −1.00 points): as in the paper',
  );
  expect(describeComparison({ ...r, kind: 'residual', trainErrorGap: 0, degraded: false })).toMatch(
    /trains as well as resnet20 \(final training error \+0\.00 points\): not the paper's finding/,
  );
});
