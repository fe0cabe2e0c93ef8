/**
 * `resnet bench`: training and inference speed, time to first step and peak memory of tfjs
 * backends beside PyTorch on the same machine, in the same run (issue #6). Every measurement runs
 * in a process of its own, one at a time (see bench/child.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { backendProviders, resolveSpec, type BackendStatus } from '@resnet/core';
import { loadBackends } from '../backend.js';
import { BENCH_BACKENDS, STANDARD_CASES, caseName, type CaseKey } from '../bench/cases.js';
import { PYTHON, pytorchUnavailable, pytorchVersion, runPytorchCase, runTfjsCase, runWebGPUCounts } from '../bench/child.js';
import { describeMachine } from '../bench/machine.js';
import { formatReport, ratios, type BenchReport, type BenchRow } from '../bench/report.js';
import type { BenchMode, CaseSpec, Measurement, WebGPUCounts } from '../bench/types.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';

export const BENCH_HELP = `resnet bench [--model M --mode train|infer|infer-folded --batch N] [--backend B] [options]

Images/s (median of timed runs), time to first step and peak memory of each tfjs backend, beside
PyTorch (${PYTHON} with torch) on the same model, batch and threads. Without --model: the standard
cases (ResNet-20 and ResNet-56 training at batch 128; ResNet-50 inference at batch 1 and 8, plain
and BN-folded) on every backend. Each case runs alone in its own process; expect minutes.
  --model        one case: a model name (resnet20, resnet56, resnet50, resnet8, ...)
  --mode         train (SGD step: forward, loss, gradients, momentum 0.9, weight decay 1e-4),
                 infer (predict + read-back), infer-folded (the same through core's foldBatchNorm)
                 (default train)
  --batch        batch size (default 128 for train, 8 for infer)
  --backend      wasm, webgpu, cpu, node, node-gpu or all (default all; one that cannot run here is
                 reported as skipped, never replaced)
  --runs         timed runs (default 5)
  --warmup       untimed runs after the first step (default 2)
  --threads      wasm's threads and PyTorch's (default: every core)
  --pytorch      on or off (default on)
  --max-seconds  budget per case: a case whose first step says the runs would take longer is
                 skipped, with its first-step time (default 120)
  --counts       on or off: WebGPU dispatches and GPU→CPU reads per training step (default on
                 when webgpu is measured)
  --json FILE    write every figure, the machine and the settings as JSON`;

interface BenchOptions {
  cases: readonly CaseKey[];
  backends: readonly string[];
  runs: number;
  warmup: number;
  threads: number | undefined;
  pytorch: boolean;
  maxSeconds: number;
  counts: boolean;
  json: string | undefined;
}

function count(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function onOff(flag: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value !== 'on' && value !== 'off') throw new UsageError(`--${flag} must be on or off, got "${value}"`);
  return value === 'on';
}

const MODES: readonly BenchMode[] = ['train', 'infer', 'infer-folded'];

export function parseBenchArgs(args: string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      model: { type: 'string' },
      mode: { type: 'string' },
      batch: { type: 'string' },
      backend: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      threads: { type: 'string' },
      pytorch: { type: 'string' },
      'max-seconds': { type: 'string' },
      counts: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (positionals.length) throw new UsageError(`bench takes options only, got "${positionals.join(' ')}"`);
  const mode = values.mode ?? 'train';
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  if (values.model === undefined && (values.mode !== undefined || values.batch !== undefined)) {
    throw new UsageError('--mode and --batch choose one case and need --model (without --model the standard cases run)');
  }
  let cases: readonly CaseKey[] = STANDARD_CASES;
  if (values.model !== undefined) {
    try {
      resolveSpec(values.model);
    } catch (e) {
      throw new UsageError(`--model: ${e instanceof Error ? e.message : String(e)}`);
    }
    const batch = count('batch', values.batch, mode === 'train' ? 128 : 8, 1);
    const m = mode as BenchMode;
    cases = m === 'infer' ? [{ model: values.model, mode: 'infer', batch }, { model: values.model, mode: 'infer-folded', batch }] : [{ model: values.model, mode: m, batch }];
  }
  const backend = values.backend ?? 'all';
  if (backend !== 'all' && !(BENCH_BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BENCH_BACKENDS.join(', ')}, all, got "${backend}"`);
  }
  const backends = backend === 'all' ? BENCH_BACKENDS : [backend];
  const maxSeconds = values['max-seconds'] === undefined ? 120 : Number(values['max-seconds']);
  if (!(maxSeconds > 0)) throw new UsageError(`--max-seconds must be a number of seconds > 0, got "${values['max-seconds']}"`);
  if (values.json === '') throw new UsageError('--json needs a file name');
  return {
    cases,
    backends,
    runs: count('runs', values.runs, 5, 1),
    warmup: count('warmup', values.warmup, 2, 0),
    threads: values.threads === undefined ? undefined : count('threads', values.threads, 1, 1),
    pytorch: onOff('pytorch', values.pytorch, true),
    maxSeconds,
    counts: onOff('counts', values.counts, backends.includes('webgpu')),
    json: values.json,
  };
}

export async function benchCommand(args: string[], io: Output): Promise<number> {
  const o = parseBenchArgs(args);
  const progress = (line: string): void => io.err(line);
  const started = performance.now();

  await loadBackends();
  // Only the backends measured are probed (probing WebGPU starts Dawn, which is slow and noisy).
  const probed = await Promise.all(backendProviders().filter((p) => o.backends.includes(p.name) || (o.counts && p.name === 'webgpu')).map((p) => p.probe()));
  const statuses = new Map<string, BackendStatus>(probed.map((s) => [s.name, s]));
  const unavailable = (name: string): string | undefined => {
    const s = statuses.get(name);
    if (!s) return `the ${name} backend package is not loaded`;
    return s.available ? undefined : `the ${name} backend cannot run here: ${s.reason ?? 'unavailable'}`;
  };
  const noTorch = o.pytorch ? await pytorchUnavailable() : '--pytorch off';
  const torch = noTorch === undefined ? ((await pytorchVersion()) ?? 'PyTorch: version unknown') : `PyTorch skipped: ${noTorch}`;
  const cores = os.availableParallelism();
  const pytorchCache = new Map<string, Measurement>();

  const rows: BenchRow[] = [];
  const total = o.cases.length * o.backends.length;
  let n = 0;
  for (const c of o.cases) {
    for (const backend of o.backends) {
      n++;
      const spec: CaseSpec = { ...c, backend, runs: o.runs, warmup: o.warmup, maxSeconds: o.maxSeconds, ...(o.threads !== undefined ? { threads: o.threads } : {}) };
      const why = unavailable(backend);
      io.err(`bench [${n}/${total}] ${backend} ${caseName(c)}${why ? `: skipped (${why})` : ' …'}`);
      const tfjs: Measurement = why ? { skipped: why } : await runTfjsCase(spec, progress);
      if (!why && tfjs.imagesPerSecond) io.err(`  → ${tfjs.imagesPerSecond.median.toFixed(2)} images/s`);
      else if (!why) io.err(`  → skipped: ${tfjs.skipped}`);
      // PyTorch with the backend's threads: wasm's (as it reported), 1 for cpu, every core (or --threads) for GPUs.
      const threads = tfjs.threads ?? (backend === 'cpu' ? 1 : (o.threads ?? cores));
      const reference = threads === (o.threads ?? cores);
      let pytorch: Measurement;
      if (noTorch !== undefined) pytorch = { skipped: noTorch };
      else if (!tfjs.imagesPerSecond && !reference) pytorch = { skipped: `not run: the ${backend} case has no figure to compare` };
      else {
        // infer and infer-folded are the same computation in PyTorch (eval mode): measured once.
        const key = `${c.model}|${c.mode === 'train' ? 'train' : 'infer'}|${c.batch}|${threads}`;
        let cached = pytorchCache.get(key);
        if (!cached) {
          io.err(`bench: PyTorch ${caseName(c)}, ${threads} thread${threads === 1 ? '' : 's'} …`);
          cached = await runPytorchCase(spec, threads, progress);
          pytorchCache.set(key, cached);
        }
        pytorch = cached;
      }
      rows.push({ case: caseName(c), model: c.model, mode: c.mode, batch: c.batch, backend, threads: tfjs.threads ?? (backend === 'cpu' ? 1 : backend === 'wasm' ? threads : null), tfjs, pytorch, ratio: ratios(tfjs, pytorch) });
    }
  }

  const webgpuCounts: WebGPUCounts[] = [];
  if (o.counts) {
    for (const model of [...new Set(o.cases.filter((c) => c.mode === 'train').map((c) => c.model))]) {
      const why = unavailable('webgpu');
      if (why) {
        webgpuCounts.push({ model, skipped: why });
        continue;
      }
      const perBatch: { batch: number; dispatches: number; reads: number }[] = [];
      let skipped: string | undefined;
      // Two batch sizes: the counts must not depend on it (that is what makes them hardware-independent figures).
      for (const batch of [2, 4]) {
        io.err(`bench: WebGPU counts, ${model} train b${batch} …`);
        const r = await runWebGPUCounts(model, batch, o.maxSeconds, progress);
        if ('skipped' in r) {
          skipped = r.skipped;
          break;
        }
        perBatch.push({ batch, ...r });
      }
      webgpuCounts.push(
        skipped ? { model, skipped } : { model, perBatch, sameAtBothBatches: perBatch.every((p) => p.dispatches === perBatch[0]!.dispatches && p.reads === perBatch[0]!.reads) },
      );
    }
  }

  const report: BenchReport = {
    machine: describeMachine(torch),
    settings: { runs: o.runs, warmup: o.warmup, maxSeconds: o.maxSeconds, threads: o.threads ?? null, pytorch: o.pytorch },
    rows,
    webgpuCounts,
  };
  io.out(formatReport(report));
  if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  io.err(`bench: done in ${((performance.now() - started) / 1000).toFixed(0)} s${o.json ? `; JSON in ${o.json}` : ''}`);
  return 0;
}
