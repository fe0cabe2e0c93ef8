/**
 * Runs one measurement in a process of its own (node for tfjs, python for PyTorch) and collects
 * the JSON lines it writes on stdout. Only one such process runs at a time: PyTorch spin-waits for
 * work and slows down many times beside a busy process, and each case's peak RSS must be its own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir } from '@resnet/node-io';
import type { OnnxTask } from './onnx_worker.js';
import { rate } from './stats.js';
import type { CaseSpec, Measurement, Peer } from './types.js';
import type { WorkerTask } from './worker.js';

/** A compiled worker next to this module; from the sources (vitest), the built one in dist/. */
function compiled(name: string): string {
  return (
    [new URL(`./${name}`, import.meta.url), new URL(`../../dist/bench/${name}`, import.meta.url)]
      .map((u) => fileURLToPath(u))
      .find((f) => existsSync(f)) ?? fileURLToPath(new URL(`./${name}`, import.meta.url))
  );
}
const WORKER = compiled('worker.js');
const ONNX_WORKER = compiled('onnx_worker.js');
/** Shipped in the package (`files`): apps/cli/bench/, two levels above dist/bench/. */
export const PYTORCH_SCRIPT = fileURLToPath(new URL('../../bench/pytorch_bench.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

/**
 * "PyTorch best": glibc serves blocks up to 32 MiB from its heap and never trims it, so freed
 * memory is reused still mapped. As installed, large freed blocks go back to the kernel and the
 * next op's tensors fault their pages in afresh (~22 ms per 8 MiB on these VMs), at every op.
 */
export const PYTORCH_BEST_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';

interface Events {
  first?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
  /** Set when the process was killed for not finishing its first step in time. */
  timedOut?: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Spawns `command args`, forwards its stderr lines to `progress`, and kills it if no "first"
 * event arrives within `firstStepSeconds` (a first step that alone exceeds the budget).
 */
function runChild(
  command: string,
  args: string[],
  firstStepSeconds: number,
  progress: (line: string) => void,
  env?: Record<string, string>,
): Promise<Events> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    const events: Events = { code: null, stderr: '' };
    let out = '';
    let err = '';
    const timer = Number.isFinite(firstStepSeconds)
      ? setTimeout(() => {
          events.timedOut = true;
          child.kill('SIGKILL');
        }, firstStepSeconds * 1000)
      : undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const { event, ...body } = JSON.parse(line) as { event?: string } & Record<string, unknown>;
          if (event === 'first') {
            events.first = body;
            clearTimeout(timer);
          } else if (event === 'result') events.result = body;
          else if (event === 'error') events.error = String(body['message']);
        } catch {
          // not one of our lines (a library printing JSON-looking text)
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      events.stderr += chunk;
      err += chunk;
      let nl: number;
      while ((nl = err.indexOf('\n')) >= 0) {
        progress(err.slice(0, nl));
        err = err.slice(nl + 1);
      }
    });
    child.on('error', (e) => {
      events.error = `could not start ${command}: ${e.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      events.code = code;
      resolve(events);
    });
  });
}

function tooSlowFirst(maxSeconds: number): string {
  return `too slow here (the first step took more than ${maxSeconds} s; raise --max-seconds)`;
}

function failed(who: string, events: Events): string {
  const tail = events.stderr.trim().split('\n').slice(-3).join(' / ');
  return `failed: ${events.error ?? `${who} exited with code ${events.code}`}${!events.error && tail ? ` (${tail})` : ''}`;
}

/** One tfjs case, in a node process running worker.js. */
export async function runTfjsCase(spec: CaseSpec, progress: (line: string) => void): Promise<Measurement> {
  const task: WorkerTask = { kind: 'case', spec };
  const events = await runChild(process.execPath, [WORKER, JSON.stringify(task)], spec.maxSeconds, progress);
  if (events.timedOut) return { skipped: tooSlowFirst(spec.maxSeconds), firstStepAtLeastSeconds: spec.maxSeconds };
  if (!events.result) return { skipped: failed('the benchmark process', events) };
  return events.result as Measurement;
}

/** WebGPU dispatches and reads of one training step at `batch`, in a node process of its own. */
export async function runWebGPUCounts(
  model: string,
  batch: number,
  maxSeconds: number,
  progress: (line: string) => void,
): Promise<{ dispatches: number; reads: number } | { skipped: string }> {
  const task: WorkerTask = { kind: 'counts', model, batch };
  // Two steps (a warm-up and the counted one) before any event: give them twice the budget.
  const events = await runChild(process.execPath, [WORKER, JSON.stringify(task)], 2 * maxSeconds, progress);
  if (events.timedOut) return { skipped: tooSlowFirst(2 * maxSeconds) };
  if (!events.result) return { skipped: failed('the counting process', events) };
  return events.result as { dispatches: number; reads: number };
}

/** Why PyTorch cannot run here, or undefined when /usr/bin/python3 imports torch. */
export async function pytorchUnavailable(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(PYTORCH_SCRIPT)) return `the script ${PYTORCH_SCRIPT} is missing`;
  const events = await runChild(
    PYTHON,
    ['-c', 'import json, torch; print(json.dumps({"event": "result", "version": torch.__version__}))'],
    120,
    () => {},
  );
  if (events.result) return undefined;
  const last = events.stderr.trim().split('\n').at(-1) ?? '';
  return `${PYTHON} cannot import torch${last ? ` (${last})` : ''}; on Debian: apt-get install python3-torch python3-torchvision`;
}

/** The PyTorch version, for the machine line (undefined when it does not import). */
export async function pytorchVersion(): Promise<string | undefined> {
  const events = await runChild(
    PYTHON,
    [
      '-c',
      'import json, torch, torchvision; print(json.dumps({"event": "result", "torch": torch.__version__, "torchvision": torchvision.__version__}))',
    ],
    120,
    () => {},
  );
  return events.result ? `torch ${String(events.result['torch'])}, torchvision ${String(events.result['torchvision'])}` : undefined;
}

/**
 * The same case in PyTorch, with `threads` threads: as users run it (NCHW, glibc's default
 * allocator) or, `best`, in channels_last with PYTORCH_BEST_TUNABLES.
 */
export async function runPytorchCase(
  spec: CaseSpec,
  threads: number,
  progress: (line: string) => void,
  best = false,
): Promise<Measurement> {
  const mode = spec.mode === 'train' ? 'train' : 'infer';
  const task = {
    model: spec.model,
    batch: spec.batch,
    mode,
    runs: spec.runs,
    warmup: spec.warmup,
    threads,
    maxSeconds: spec.maxSeconds,
    seed: 1,
    channelsLast: best,
  };
  const env = best ? { GLIBC_TUNABLES: PYTORCH_BEST_TUNABLES } : undefined;
  const events = await runChild(PYTHON, [PYTORCH_SCRIPT, JSON.stringify(task)], spec.maxSeconds, progress, env);
  if (events.timedOut) return { skipped: tooSlowFirst(spec.maxSeconds), firstStepAtLeastSeconds: spec.maxSeconds };
  if (!events.result) return { skipped: failed('python', events) };
  const { seconds, ...rest } = events.result as { seconds?: number[] } & Measurement;
  return { ...rest, ...(seconds ? { imagesPerSecond: rate(seconds, spec.batch) } : {}) };
}

/** Where the bench keeps its ONNX files: `$RESNET_CACHE/bench`, else `~/.cache/resnet/bench`. */
export function benchCacheDir(): string {
  return path.join(defaultCacheDir(), 'bench');
}

/**
 * The model as ONNX for the peers (torchvision's, random weights: speed only), exported once by
 * Debian's PyTorch (`torch.onnx.export`, opset 13, dynamic batch) and cached; the script writes a
 * temporary file and renames it, so the cache never holds half a file.
 */
export async function onnxModel(
  model: string,
  progress: (line: string) => void,
): Promise<{ file: string; side: number } | { skipped: string }> {
  const dir = benchCacheDir();
  const file = path.join(dir, `${model}-opset13.onnx`);
  const side = /^resnet(18|34|50|101|152)$/.test(model) ? 224 : 32; // torchvision's nets or CIFAR's
  if (existsSync(file)) return { file, side };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return { skipped: `cannot create the cache ${dir}: ${e instanceof Error ? e.message : String(e)}` };
  }
  progress(`bench: exporting ${model} to ONNX (${file}) …`);
  const events = await runChild(
    PYTHON,
    [PYTORCH_SCRIPT, JSON.stringify({ mode: 'export-onnx', model, out: file, seed: 1 })],
    600,
    progress,
  );
  if (!events.result || !existsSync(file)) return { skipped: `no ONNX model: the export ${failed('python', events)}` };
  return { file, side: Number(events.result['side'] ?? side) };
}

/** Why the peer cannot run here (not installed: it is a devDependency), or its version. */
export async function peerVersion(peer: Peer): Promise<{ version: string } | { skipped: string }> {
  const task: OnnxTask = { kind: 'probe', peer };
  const events = await runChild(process.execPath, [ONNX_WORKER, JSON.stringify(task)], 120, () => {});
  if (events.result) return { version: String(events.result['version']) };
  return { skipped: events.error ?? failed('the probe', events) };
}

/** The inference case on an onnxruntime peer, with `threads` threads, in a node process of its own. */
export async function runPeerCase(
  peer: Peer,
  spec: CaseSpec,
  threads: number,
  onnx: { file: string; side: number },
  progress: (line: string) => void,
): Promise<Measurement> {
  const task: OnnxTask = {
    kind: 'case',
    peer,
    file: onnx.file,
    side: onnx.side,
    batch: spec.batch,
    runs: spec.runs,
    warmup: spec.warmup,
    threads,
    maxSeconds: spec.maxSeconds,
  };
  const events = await runChild(process.execPath, [ONNX_WORKER, JSON.stringify(task)], spec.maxSeconds, progress);
  if (events.timedOut) return { skipped: tooSlowFirst(spec.maxSeconds), firstStepAtLeastSeconds: spec.maxSeconds };
  if (!events.result) return { skipped: failed(peer, events) };
  return events.result as Measurement;
}
