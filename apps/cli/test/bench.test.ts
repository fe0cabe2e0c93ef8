// `resnet bench` on tiny cases: the JSON it writes, the budget that skips slow cases, usage errors,
// PyTorch (as installed and at its best) beside tfjs when /usr/bin/python3 has torch, the
// onnxruntime peers and batch-1 latency, the onednn row, and the WebGPU dispatch/read counter.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { backendProviders, useBackend } from '@resnet/core';
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
    expect(row!.pytorchBest.skipped).toBe('--pytorch off');
    expect(row!.referenceThreads).toBe(row!.tfjs.threads);
    // The peers are for inference only: a training row has none, and no latency.
    expect(row).not.toHaveProperty('onnxruntimeNode');
    expect(row).not.toHaveProperty('onnxruntimeWeb');
    expect(row).not.toHaveProperty('latencyMs');
    expect(Object.keys(row!.ratio).sort()).toEqual(['pytorch', 'pytorchBest']);
    expect(report.settings.pytorchBest).toEqual({
      memoryFormat: 'channels_last',
      env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296' },
    });
    expect(out).toMatch(
      /resnet8 train b2\s+wasm\s+\d+\s+[\d.]+\s+[\d.]+ s\s+[\d.]+ \(heap [\d.]+\)\s+skipped \[1\]\s+skipped \[1\]\s+-\s+-/,
    );
    expect(out).toMatch(/÷PyTorch\s+÷best\s+÷ort-node\s+÷ort-web\s+MB ÷PyTorch\s+MB ÷best/);
    expect(out).toContain('[1] --pytorch off');

    const infer = await bench(
      '--model',
      'resnet8',
      '--mode',
      'infer',
      '--batch',
      '2',
      '--runs',
      '1',
      '--warmup',
      '0',
      '--backend',
      'cpu',
      '--pytorch',
      'off',
    );
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
    const { report, out } = await bench(
      '--model',
      'resnet8',
      '--batch',
      '2',
      '--runs',
      '200',
      '--warmup',
      '0',
      '--counts',
      'off',
      '--backend',
      'wasm',
      '--pytorch',
      'off',
      '--max-seconds',
      '8',
    );
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
    expect(backend.err).toMatch(/--backend must be one of onednn, wasm, .* got "gpu"/);
    const model = await run('bench', '--model', 'resnet7');
    expect(model.code).toBe(2);
    expect(model.err).toMatch(/--model: .*resnet7/);
    expect((await run('bench', '--pytorch', 'yes')).err).toMatch(/--pytorch must be on or off, got "yes"/);
    expect((await run('bench', '--onnxruntime', 'yes')).err).toMatch(/--onnxruntime must be on or off, got "yes"/);
  });

  test.skipIf(noTorch !== undefined)(
    `PyTorch runs the same case beside tfjs, with a ratio${noTorch ? ` (skipped: ${noTorch})` : ''}`,
    async () => {
      const { report } = await bench(...TINY, '--backend', 'wasm', '--pytorch', 'on');
      const [row] = report.rows;
      expect(report.machine.pytorch).toMatch(/^torch \S+, torchvision \S+$/);
      expect(row!.pytorch.skipped).toBeUndefined();
      expect(row!.pytorch.threads).toBe(row!.tfjs.threads);
      expect(row!.pytorch.imagesPerSecond!.median).toBeGreaterThan(0);
      expect(row!.pytorch.peakRssMB!).toBeGreaterThan(row!.pytorch.baselineRssMB!);
      expect(row!.ratio.pytorch!.imagesPerSecond).toBeCloseTo(row!.tfjs.imagesPerSecond!.median / row!.pytorch.imagesPerSecond!.median, 10);
      expect(row!.ratio.pytorch!.peakRss).toBeCloseTo(row!.tfjs.peakRssMB! / row!.pytorch.peakRssMB!, 10);
      expect(row!.pytorch.device).toMatch(/^PyTorch \S+, NCHW$/);
      // PyTorch best: its own process, in channels_last, started with the glibc tunables.
      const best = row!.pytorchBest;
      expect(best.skipped).toBeUndefined();
      expect(best.device).toBe(
        `${row!.pytorch.device!.replace(', NCHW', ', channels_last')}, GLIBC_TUNABLES=${report.settings.pytorchBest.env.GLIBC_TUNABLES}`,
      );
      expect(best.threads).toBe(row!.tfjs.threads);
      expect(best.imagesPerSecond!.median).toBeGreaterThan(0);
      expect(best.imagesPerSecond!.seconds).toHaveLength(1);
      expect(best.peakRssMB!).toBeGreaterThan(best.baselineRssMB!);
      expect(row!.ratio.pytorchBest!.imagesPerSecond).toBeCloseTo(row!.tfjs.imagesPerSecond!.median / best.imagesPerSecond!.median, 10);
      expect(row!.ratio.pytorchBest!.peakRss).toBeCloseTo(row!.tfjs.peakRssMB! / best.peakRssMB!, 10);
    },
    60_000,
  );

  test('inference: onnxruntime-node and -web on the same model (or skipped with the reason), batch-1 latency beside PyTorch', async () => {
    // A cache of its own: the ONNX export runs, and must leave exactly one finished file.
    const cache = mkdtempSync(path.join(tmpdir(), 'resnet-bench-cache-'));
    const before = process.env['RESNET_CACHE'];
    process.env['RESNET_CACHE'] = cache;
    let result: Awaited<ReturnType<typeof bench>>;
    try {
      result = await bench('--model', 'resnet8', '--mode', 'infer', '--batch', '1', '--runs', '1', '--warmup', '0', '--backend', 'cpu');
    } finally {
      if (before === undefined) delete process.env['RESNET_CACHE'];
      else process.env['RESNET_CACHE'] = before;
    }
    const { report, out } = result;
    expect(report.rows.map((r) => r.case)).toEqual(['resnet8 infer b1', 'resnet8 infer-folded b1']);
    expect(report.machine.onnxruntime).toMatch(/^onnxruntime-node (\S+|skipped), onnxruntime-web (\S+|skipped)$/);
    for (const [key, pkg] of [
      ['onnxruntimeNode', 'onnxruntime-node'],
      ['onnxruntimeWeb', 'onnxruntime-web'],
    ] as const) {
      const installed = existsSync(fileURLToPath(new URL(`../node_modules/${pkg}/package.json`, import.meta.url)));
      for (const row of report.rows) {
        const peer = row[key]!;
        expect(peer, `${row.case} ${pkg}`).toBeDefined();
        if (!installed) expect(peer.skipped).toMatch(new RegExp(`^${pkg} is not installed`));
        else if (noTorch) expect(peer.skipped).toMatch(/^no ONNX model: /);
        else {
          expect(peer.skipped, peer.skipped).toBeUndefined();
          expect(peer.device).toMatch(new RegExp(`^${pkg} \\d`));
          expect(peer.threads).toBe(1); // the cpu backend's one thread
          expect(peer.imagesPerSecond!.median).toBeGreaterThan(0);
          expect(peer.imagesPerSecond!.seconds).toHaveLength(1);
          expect(peer.firstStepSeconds!).toBeGreaterThan(peer.firstStepOnlySeconds!);
          expect(peer.peakRssMB!).toBeGreaterThan(peer.baselineRssMB!);
          expect(row.ratio[key]!.imagesPerSecond).toBeCloseTo(row.tfjs.imagesPerSecond!.median / peer.imagesPerSecond!.median, 10);
          expect(row.ratio[key]!.peakRss).toBeCloseTo(row.tfjs.peakRssMB! / peer.peakRssMB!, 10);
        }
      }
      // Measured once for both rows (infer and infer-folded are one computation to the peers).
      expect(report.rows[1]![key]).toEqual(report.rows[0]![key]);
    }
    if (!noTorch) expect(readdirSync(path.join(cache, 'bench'))).toEqual(['resnet8-opset13.onnx']);
    // Batch-1 latency: ms per image of tfjs, PyTorch (both) and onnxruntime-node, where they ran.
    for (const row of report.rows) {
      const lat = row.latencyMs!;
      expect(lat.tfjs).toBeCloseTo(1000 / row.tfjs.imagesPerSecond!.median, 10);
      for (const ref of ['pytorch', 'pytorchBest', 'onnxruntimeNode'] as const) {
        const m = row[ref]!;
        if (m.imagesPerSecond) expect(lat[ref]).toBeCloseTo(1000 / m.imagesPerSecond.median, 10);
        else expect(lat).not.toHaveProperty(ref);
      }
      expect(lat).not.toHaveProperty('onnxruntimeWeb');
    }
    expect(out).toMatch(/References:\n.*runtime/);
    expect(out).toMatch(/resnet8 infer b1\s+onnxruntime-node\s+1\s+(\d|skipped)/);
    expect(out).toMatch(/Batch-1 latency, ms per image \(median\):\n.*tfjs\s+PyTorch\s+PyTorch best\s+onnxruntime-node/);
  }, 120_000);

  test("the onednn row: measured when its provider says it can run, else skipped with the provider's own reason", async () => {
    const { report } = await bench(
      '--model',
      'resnet8',
      '--mode',
      'infer',
      '--batch',
      '2',
      '--runs',
      '1',
      '--warmup',
      '0',
      '--backend',
      'onednn',
      '--pytorch',
      'off',
      '--onnxruntime',
      'off',
    );
    expect(report.rows.map((r) => `${r.backend} ${r.case}`)).toEqual(['onednn resnet8 infer b2', 'onednn resnet8 infer-folded b2']);
    expect(report.rows[0]!.onnxruntimeNode!.skipped).toBe('--onnxruntime off');
    const { tfjs } = report.rows[0]!;
    let loadError: string | undefined;
    try {
      const specifier: string = '@resnet/backend-onednn';
      await import(specifier);
    } catch (e) {
      loadError = e instanceof Error ? e.message : String(e);
    }
    const provider = backendProviders().find((p) => p.name === 'onednn');
    if (loadError !== undefined || !provider) {
      // The package does not load (not built): the row says so, and no other backend stood in.
      expect(tfjs.skipped).toMatch(/^the onednn backend package (did not load: .+|is not loaded)$/);
      expect(tfjs.device).toBeUndefined();
      return;
    }
    const status = await provider.probe();
    if (!status.available) {
      expect(tfjs.skipped).toBe(`the onednn backend cannot run here: ${status.reason ?? 'unavailable'}`);
      expect(status.reason).toBeTruthy();
      expect(tfjs.imagesPerSecond).toBeUndefined();
      expect(tfjs.device).toBeUndefined();
    } else {
      expect(tfjs.skipped, tfjs.skipped).toBeUndefined();
      expect(tfjs.imagesPerSecond!.median).toBeGreaterThan(0);
      expect(tfjs.device).toBe(status.device ?? 'onednn');
      expect(tfjs.threads).toBe(Number(status.details?.['threads']));
      expect(report.rows[0]!.threads).toBe(tfjs.threads);
    }
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
