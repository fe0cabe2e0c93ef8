/**
 * `resnet bench`: training and inference speed, time to first step and peak memory of tfjs
 * backends beside PyTorch (as installed and at its best) and, for inference, onnxruntime-node and
 * onnxruntime-web, on the same machine, in the same run (issue #6). Every measurement runs in a
 * process of its own, one at a time (see bench/child.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { backendProviders, resolveSpec, type BackendStatus } from '@resnet/core';
import { loadBackends } from '../backend.js';
import { BENCH_BACKENDS, STANDARD_CASES, caseName, type CaseKey } from '../bench/cases.js';
import {
  PYTHON,
  PYTORCH_BEST_TUNABLES,
  benchCacheDir,
  onnxModel,
  peerVersion,
  pytorchUnavailable,
  pytorchVersion,
  runPeerCase,
  runPytorchCase,
  runTfjsCase,
  runWebGPUCounts,
} from '../bench/child.js';
import { describeMachine } from '../bench/machine.js';
import {
  PEER_KEYS,
  REFERENCE_LABELS,
  formatReport,
  latencyMs,
  ratios,
  type BenchReport,
  type BenchRow,
  type Reference,
} from '../bench/report.js';
import { PEERS, type BenchMode, type CaseSpec, type Measurement, type Peer, type WebGPUCounts } from '../bench/types.js';
import { UsageError } from '../errors.js';
import { choiceFlag, integerFlag, numberFlag, onOffFlag } from '../flags.js';
import type { Output } from '../output.js';

export const BENCH_HELP = `resnet bench [--model M --mode train|infer|infer-folded --batch N] [--backend B] [options]

Images/s (median of timed runs), time to first step and peak memory of each tfjs backend, and
their ratios to PyTorch (${PYTHON} with torch) on the same model, batch and threads, twice:
  PyTorch       as users run it: NCHW tensors, glibc's default allocator.
  PyTorch best  at its best here: model and input in channels_last, and python started with
                GLIBC_TUNABLES=${PYTORCH_BEST_TUNABLES}.
                As installed, glibc gives large freed blocks back to the kernel, so big tensors'
                pages fault in afresh at every op: ~22 ms per fresh 8 MiB buffer on these VMs (a
                memset of mapped memory: 0.25 ms). The tunables serve blocks up to 32 MiB from
                the heap and never trim it; channels_last is the layout oneDNN is fastest in.
Inference cases also run the same network, exported to ONNX by that PyTorch (opset 13, cached in
${'$'}RESNET_CACHE/bench or ~/.cache/resnet/bench), on onnxruntime-node (native CPU) and onnxruntime-web
(its wasm backend, in Node), with the same threads: both are devDependencies of @resnet/cli, so
an installed CLI reports them skipped. At batch 1 the latency (ms per image) is listed too.
Without --model: the standard cases (ResNet-20 and ResNet-56 training at batch 128; ResNet-50
inference at batch 1 and 8, plain and BN-folded) on every backend. Each case (PyTorch and
onnxruntime too) runs alone in its own process; expect half an hour.
  --model        one case: a model name (resnet20, resnet56, resnet50, resnet8, ...)
  --mode         train (SGD step: forward, loss, gradients, momentum 0.9, weight decay 1e-4),
                 infer (predict + read-back), infer-folded (the same through core's foldBatchNorm)
                 (default train)
  --batch        batch size (default 128 for train, 8 for infer)
  --backend      ${BENCH_BACKENDS.join(', ')} or all (default all; one that cannot
                 run here is reported as skipped with its reason, never replaced)
  --runs         timed runs (default 5)
  --warmup       untimed runs after the first step (default 2)
  --threads      wasm's and onednn's threads, and the references' (default: every core)
  --pytorch      on or off: both PyTorch rows (default on)
  --onnxruntime  on or off: the onnxruntime peers on inference cases (default on)
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
  onnxruntime: boolean;
  maxSeconds: number;
  counts: boolean;
  json: string | undefined;
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
      onnxruntime: { type: 'string' },
      'max-seconds': { type: 'string' },
      counts: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (positionals.length) throw new UsageError(`bench takes options only, got "${positionals.join(' ')}"`);
  const mode = choiceFlag('mode', values.mode, MODES) ?? 'train';
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
    const batch = integerFlag('batch', values.batch, 1) ?? (mode === 'train' ? 128 : 8);
    cases =
      mode === 'infer'
        ? [
            { model: values.model, mode: 'infer', batch },
            { model: values.model, mode: 'infer-folded', batch },
          ]
        : [{ model: values.model, mode, batch }];
  }
  const backend = choiceFlag('backend', values.backend, [...BENCH_BACKENDS, 'all']) ?? 'all';
  const backends = backend === 'all' ? BENCH_BACKENDS : [backend];
  const maxSeconds = numberFlag('max-seconds', values['max-seconds'], { above: 0, unit: 'seconds' }) ?? 120;
  if (values.json === '') throw new UsageError('--json needs a file name');
  return {
    cases,
    backends,
    runs: integerFlag('runs', values.runs, 1) ?? 5,
    warmup: integerFlag('warmup', values.warmup, 0) ?? 2,
    threads: integerFlag('threads', values.threads, 1),
    pytorch: onOffFlag('pytorch', values.pytorch) ?? true,
    onnxruntime: onOffFlag('onnxruntime', values.onnxruntime) ?? true,
    maxSeconds,
    counts: onOffFlag('counts', values.counts) ?? backends.includes('webgpu'),
    json: values.json,
  };
}

/** Registers the onednn provider (its package is imported only by the bench for now); why not, when it fails. */
async function loadOnednn(): Promise<string | undefined> {
  const specifier: string = '@resnet/backend-onednn'; // not a literal: its typings may not be built
  try {
    await import(specifier);
    return undefined;
  } catch (e) {
    return `the onednn backend package did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
}

export async function benchCommand(args: string[], io: Output): Promise<number> {
  const o = parseBenchArgs(args);
  const progress = (line: string): void => io.err(line);
  const started = performance.now();

  await loadBackends();
  const onednnFailed = o.backends.includes('onednn') ? await loadOnednn() : undefined;
  // Only the backends measured are probed (probing WebGPU starts Dawn, which is slow and noisy).
  const probed = await Promise.all(
    backendProviders()
      .filter((p) => o.backends.includes(p.name) || (o.counts && p.name === 'webgpu'))
      .map((p) => p.probe()),
  );
  const statuses = new Map<string, BackendStatus>(probed.map((s) => [s.name, s]));
  const unavailable = (name: string): string | undefined => {
    const s = statuses.get(name);
    if (!s) return (name === 'onednn' ? onednnFailed : undefined) ?? `the ${name} backend package is not loaded`;
    return s.available ? undefined : `the ${name} backend cannot run here: ${s.reason ?? 'unavailable'}`;
  };
  const noTorch = o.pytorch ? await pytorchUnavailable() : '--pytorch off';
  const torch = noTorch === undefined ? ((await pytorchVersion()) ?? 'PyTorch: version unknown') : `PyTorch skipped: ${noTorch}`;
  // The peers: probed only when an inference case runs (each probe is a process of its own).
  const inference = o.cases.some((c) => c.mode !== 'train');
  const peers = new Map<Peer, { version: string } | { skipped: string }>();
  for (const peer of PEERS)
    peers.set(
      peer,
      !o.onnxruntime ? { skipped: '--onnxruntime off' } : inference ? await peerVersion(peer) : { skipped: 'no inference case' },
    );
  const onnxruntime = PEERS.map((peer) => {
    const p = peers.get(peer)!;
    return 'version' in p ? `${peer} ${p.version}` : `${peer} skipped`;
  }).join(', ');
  const onnxFiles = new Map<string, Promise<{ file: string; side: number } | { skipped: string }>>();
  const cores = os.availableParallelism();
  const cache = new Map<string, Measurement>();

  const rows: BenchRow[] = [];
  const total = o.cases.length * o.backends.length;
  let n = 0;
  for (const c of o.cases) {
    const kind = c.mode === 'train' ? 'train' : 'infer'; // infer and infer-folded are the same computation for every reference
    for (const backend of o.backends) {
      n++;
      const spec: CaseSpec = {
        ...c,
        backend,
        runs: o.runs,
        warmup: o.warmup,
        maxSeconds: o.maxSeconds,
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      };
      const why = unavailable(backend);
      io.err(`bench [${n}/${total}] ${backend} ${caseName(c)}${why ? `: skipped (${why})` : ' …'}`);
      const tfjs: Measurement = why ? { skipped: why } : await runTfjsCase(spec, progress);
      if (!why && tfjs.imagesPerSecond) io.err(`  → ${tfjs.imagesPerSecond.median.toFixed(2)} images/s`);
      else if (!why) io.err(`  → skipped: ${tfjs.skipped}`);
      // The references get the backend's threads: wasm's and onednn's (as they reported), 1 for cpu, every core (or --threads) otherwise.
      const threads = tfjs.threads ?? (backend === 'cpu' ? 1 : (o.threads ?? cores));
      const atReferenceThreads = threads === (o.threads ?? cores);
      /** One reference measurement, run once per case kind and threads (cached), unless it cannot or need not run. */
      const measure = async (ref: Reference, cannot: string | undefined, run: () => Promise<Measurement>): Promise<Measurement> => {
        if (cannot !== undefined) return { skipped: cannot };
        if (!tfjs.imagesPerSecond && !atReferenceThreads) return { skipped: `not run: the ${backend} case has no figure to compare` };
        const key = `${ref}|${c.model}|${kind}|${c.batch}|${threads}`;
        let m = cache.get(key);
        if (!m) {
          io.err(`bench: ${REFERENCE_LABELS[ref]} ${c.model} ${kind} b${c.batch}, ${threads} thread${threads === 1 ? '' : 's'} …`);
          m = await run();
          if (m.imagesPerSecond) io.err(`  → ${m.imagesPerSecond.median.toFixed(2)} images/s`);
          else io.err(`  → skipped: ${m.skipped}`);
          cache.set(key, m);
        }
        return m;
      };
      const pytorch = await measure('pytorch', noTorch, () => runPytorchCase(spec, threads, progress));
      const pytorchBest = await measure('pytorchBest', noTorch, () => runPytorchCase(spec, threads, progress, true));
      const peerRows: Partial<Record<Reference, Measurement>> = {};
      if (kind === 'infer') {
        for (const peer of PEERS) {
          const p = peers.get(peer)!;
          peerRows[PEER_KEYS[peer]] = await measure(PEER_KEYS[peer], 'skipped' in p ? p.skipped : undefined, async () => {
            let file = onnxFiles.get(c.model);
            if (!file) onnxFiles.set(c.model, (file = onnxModel(c.model, progress)));
            const onnx = await file;
            return 'skipped' in onnx ? onnx : runPeerCase(peer, spec, threads, onnx, progress);
          });
        }
      }
      const references: Partial<Record<Reference, Measurement>> = { pytorch, pytorchBest, ...peerRows };
      const ratio = Object.fromEntries(Object.entries(references).map(([ref, m]) => [ref, ratios(tfjs, m)]));
      const latency =
        kind === 'infer' && c.batch === 1
          ? Object.fromEntries(
              Object.entries({ tfjs, pytorch, pytorchBest, onnxruntimeNode: peerRows.onnxruntimeNode })
                .map(([k, m]) => [k, m && latencyMs(m)])
                .filter(([, v]) => v !== undefined),
            )
          : undefined;
      rows.push({
        case: caseName(c),
        model: c.model,
        mode: c.mode,
        batch: c.batch,
        backend,
        threads: tfjs.threads ?? (backend === 'cpu' ? 1 : backend === 'wasm' ? threads : null),
        referenceThreads: threads,
        tfjs,
        pytorch,
        pytorchBest,
        ...peerRows,
        ratio,
        ...(latency ? { latencyMs: latency } : {}),
      });
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
        skipped
          ? { model, skipped }
          : {
              model,
              perBatch,
              sameAtBothBatches: perBatch.every((p) => p.dispatches === perBatch[0]!.dispatches && p.reads === perBatch[0]!.reads),
            },
      );
    }
  }

  const report: BenchReport = {
    machine: describeMachine(torch, onnxruntime),
    settings: {
      runs: o.runs,
      warmup: o.warmup,
      maxSeconds: o.maxSeconds,
      threads: o.threads ?? null,
      pytorch: o.pytorch,
      onnxruntime: o.onnxruntime,
      pytorchBest: { memoryFormat: 'channels_last', env: { GLIBC_TUNABLES: PYTORCH_BEST_TUNABLES } },
    },
    rows,
    webgpuCounts,
  };
  io.out(formatReport(report));
  if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  io.err(
    `bench: done in ${((performance.now() - started) / 1000).toFixed(0)} s${o.json ? `; JSON in ${o.json}` : ''}${onnxFiles.size ? `; ONNX models in ${benchCacheDir()}` : ''}`,
  );
  return 0;
}
