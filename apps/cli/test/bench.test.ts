// `resnet bench` on tiny cases: the JSON it writes, the budget that skips slow cases, usage errors,
// PyTorch beside tfjs when /usr/bin/python3 has torch, and the WebGPU dispatch/read counter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import type { BenchReport } from '../src/bench/report.js';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

async function bench(...argv: string[]): Promise<{ report: BenchReport; out: string }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'resnet-bench-')), 'bench.json');
  const { code, out, err } = await run('bench', ...argv, '--json', file);
  expect(code, err).toBe(0);
  return { report: JSON.parse(readFileSync(file, 'utf8')) as BenchReport, out };
}

const TINY = ['--model', 'resnet8', '--batch', '2', '--runs', '1', '--warmup', '0', '--counts', 'off'];

function torchMissing(): string | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return '/usr/bin/python3 cannot import torch and torchvision';
  }
}
const noTorch = torchMissing();

describe('resnet bench', () => {
  test('a wasm training case and cpu inference cases: JSON with positive medians, memory and the machine', async () => {
    const { report, out } = await bench(...TINY, '--backend', 'wasm', '--pytorch', 'off');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpu).not.toBe('');
    expect(report.settings).toMatchObject({ runs: 1, warmup: 0, maxSeconds: 120, pytorch: false });
    expect(report.rows).toHaveLength(1);
    const [row] = report.rows;
    expect(row).toMatchObject({ case: 'resnet8 train b2', model: 'resnet8', mode: 'train', batch: 2, backend: 'wasm' });
    expect(row!.tfjs.skipped).toBeUndefined();
    expect(row!.tfjs.imagesPerSecond!.median).toBeGreaterThan(0);
    expect(row!.tfjs.imagesPerSecond!.seconds).toHaveLength(1);
    expect(row!.tfjs.threads).toBeGreaterThanOrEqual(1);
    expect(row!.threads).toBe(row!.tfjs.threads);
    expect(row!.tfjs.firstStepSeconds!).toBeGreaterThan(row!.tfjs.firstStepOnlySeconds!);
    expect(row!.tfjs.peakRssMB!).toBeGreaterThan(row!.tfjs.baselineRssMB!);
    expect(row!.tfjs.wasmHeapMB!).toBeGreaterThan(0);
    expect(row!.pytorch.skipped).toBe('--pytorch off');
    expect(out).toMatch(/resnet8 train b2\s+wasm\s+\d+\s+[\d.]+\s+skipped \[1\]/);

    const infer = await bench('--model', 'resnet8', '--mode', 'infer', '--batch', '2', '--runs', '1', '--warmup', '0', '--backend', 'cpu', '--pytorch', 'off');
    expect(infer.report.rows.map((r) => r.mode)).toEqual(['infer', 'infer-folded']);
    expect(infer.report.rows[0]!.tfjs.imagesPerSecond!.median).toBeGreaterThan(0);
    expect(infer.report.rows[0]!.tfjs.threads).toBe(1);
    expect(infer.report.rows.map((r) => r.threads)).toEqual([1, 1]);
    // The folded row runs through core's foldBatchNorm.
    const folded = infer.report.rows[1]!.tfjs;
    expect(folded.skipped).toBeUndefined();
    expect(folded.imagesPerSecond!.median).toBeGreaterThan(0);
  }, 60_000);

  test('the time budget skips a case whose first step says it would run too long, with its first-step time', async () => {
    const { report, out } = await bench('--model', 'resnet8', '--batch', '2', '--runs', '200', '--warmup', '0', '--counts', 'off', '--backend', 'wasm', '--pytorch', 'off', '--max-seconds', '8');
    const { tfjs } = report.rows[0]!;
    expect(tfjs.skipped).toMatch(/^too slow here \(≈\d+ s for the timed runs; raise --max-seconds\)$/);
    expect(tfjs.firstStepOnlySeconds!).toBeGreaterThan(0);
    expect(tfjs.imagesPerSecond).toBeUndefined();
    expect(out).toMatch(/\[1\] too slow here/);
  }, 60_000);

  test('a backend that cannot run here is reported as skipped with its reason, not replaced', async () => {
    const { report } = await bench(...TINY, '--backend', 'node', '--pytorch', 'off');
    const { tfjs } = report.rows[0]!;
    // tfjs-node cannot install here; where it can, the case runs on it.
    if (tfjs.skipped) {
      expect(tfjs.skipped).toMatch(/^the node backend cannot run here: .+/);
      expect(tfjs.imagesPerSecond).toBeUndefined();
    } else expect(tfjs.imagesPerSecond!.median).toBeGreaterThan(0);
  }, 30_000);

  test('usage errors exit 2 and name the bad value', async () => {
    const runs = await run('bench', '--runs', '0');
    expect(runs.code).toBe(2);
    expect(runs.err).toMatch(/--runs must be an integer ≥ 1, got "0"/);
    const mode = await run('bench', '--model', 'resnet8', '--mode', 'fit');
    expect(mode.code).toBe(2);
    expect(mode.err).toMatch(/--mode must be one of train, infer, infer-folded, got "fit"/);
    const batch = await run('bench', '--batch', '4');
    expect(batch.code).toBe(2);
    expect(batch.err).toMatch(/need --model/);
    const backend = await run('bench', '--backend', 'gpu');
    expect(backend.code).toBe(2);
    expect(backend.err).toMatch(/--backend must be one of .* got "gpu"/);
    const model = await run('bench', '--model', 'resnet7');
    expect(model.code).toBe(2);
    expect(model.err).toMatch(/--model: .*resnet7/);
    expect((await run('bench', '--pytorch', 'yes')).err).toMatch(/--pytorch must be on or off, got "yes"/);
  });

  test.skipIf(noTorch !== undefined)(`PyTorch runs the same case beside tfjs, with a ratio${noTorch ? ` (skipped: ${noTorch})` : ''}`, async () => {
    const { report } = await bench(...TINY, '--backend', 'wasm', '--pytorch', 'on');
    const [row] = report.rows;
    expect(report.machine.pytorch).toMatch(/^torch \S+, torchvision \S+$/);
    expect(row!.pytorch.skipped).toBeUndefined();
    expect(row!.pytorch.threads).toBe(row!.tfjs.threads);
    expect(row!.pytorch.imagesPerSecond!.median).toBeGreaterThan(0);
    expect(row!.pytorch.peakRssMB!).toBeGreaterThan(row!.pytorch.baselineRssMB!);
    expect(row!.ratio.imagesPerSecond).toBeCloseTo(row!.tfjs.imagesPerSecond!.median / row!.pytorch.imagesPerSecond!.median, 10);
    expect(row!.ratio.peakRss).toBeCloseTo(row!.tfjs.peakRssMB! / row!.pytorch.peakRssMB!, 10);
  }, 60_000);
});

describe('WebGPU counts', () => {
  test('dispatches and GPU→CPU reads are integers > 0 (skipped with the reason when webgpu does not run here)', async (ctx) => {
    const { webgpuBackend } = await import('@resnet/backend-webgpu');
    const status = await webgpuBackend.probe();
    if (!status.available) ctx.skip(`webgpu does not run here: ${status.reason}`);
    await useBackend('webgpu');
    const { countWebGPU } = await import('../src/bench/webgpu_counts.js');
    const counter = countWebGPU();
    const a = tf.randomNormal([64, 64]);
    counter.reset();
    const y = tf.relu(tf.matMul(a, a));
    await y.data();
    expect(Number.isInteger(counter.dispatches)).toBe(true);
    expect(counter.dispatches).toBeGreaterThanOrEqual(2);
    expect(counter.reads).toBe(1);
    await y.data(); // already on the CPU: no second read
    expect(counter.reads).toBe(1);
    tf.dispose([a, y]);
  }, 60_000);
});
