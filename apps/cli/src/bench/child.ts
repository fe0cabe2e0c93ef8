/**
 * Runs one measurement in a process of its own (node for tfjs, python for PyTorch) and collects
 * the JSON lines it writes on stdout. Only one such process runs at a time: PyTorch spin-waits for
 * work and slows down many times beside a busy process, and each case's peak RSS must be its own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rate } from './stats.js';
import type { CaseSpec, Measurement } from './types.js';
import type { WorkerTask } from './worker.js';

/** The compiled worker next to this module; from the sources (vitest), the built one in dist/. */
const WORKER = [new URL('./worker.js', import.meta.url), new URL('../../dist/bench/worker.js', import.meta.url)].map((u) => fileURLToPath(u)).find((f) => existsSync(f)) ?? fileURLToPath(new URL('./worker.js', import.meta.url));
/** Shipped in the package (`files`): apps/cli/bench/, two levels above dist/bench/. */
export const PYTORCH_SCRIPT = fileURLToPath(new URL('../../bench/pytorch_bench.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

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
function runChild(command: string, args: string[], firstStepSeconds: number, progress: (line: string) => void): Promise<Events> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
export async function runWebGPUCounts(model: string, batch: number, maxSeconds: number, progress: (line: string) => void): Promise<{ dispatches: number; reads: number } | { skipped: string }> {
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
  const events = await runChild(PYTHON, ['-c', 'import json, torch; print(json.dumps({"event": "result", "version": torch.__version__}))'], 120, () => {});
  if (events.result) return undefined;
  const last = events.stderr.trim().split('\n').at(-1) ?? '';
  return `${PYTHON} cannot import torch${last ? ` (${last})` : ''}; on Debian: apt-get install python3-torch python3-torchvision`;
}

/** The PyTorch version, for the machine line (undefined when it does not import). */
export async function pytorchVersion(): Promise<string | undefined> {
  const events = await runChild(PYTHON, ['-c', 'import json, torch, torchvision; print(json.dumps({"event": "result", "torch": torch.__version__, "torchvision": torchvision.__version__}))'], 120, () => {});
  return events.result ? `torch ${String(events.result['torch'])}, torchvision ${String(events.result['torchvision'])}` : undefined;
}

/** The same case in PyTorch, with `threads` threads. */
export async function runPytorchCase(spec: CaseSpec, threads: number, progress: (line: string) => void): Promise<Measurement> {
  const mode = spec.mode === 'train' ? 'train' : 'infer';
  const task = { model: spec.model, batch: spec.batch, mode, runs: spec.runs, warmup: spec.warmup, threads, maxSeconds: spec.maxSeconds, seed: 1 };
  const events = await runChild(PYTHON, [PYTORCH_SCRIPT, JSON.stringify(task)], spec.maxSeconds, progress);
  if (events.timedOut) return { skipped: tooSlowFirst(spec.maxSeconds), firstStepAtLeastSeconds: spec.maxSeconds };
  if (!events.result) return { skipped: failed('python', events) };
  const { seconds, ...rest } = events.result as { seconds?: number[] } & Measurement;
  return { ...rest, ...(seconds ? { imagesPerSecond: rate(seconds, spec.batch) } : {}) };
}
