/**
 * One tfjs case of `resnet bench`, in a process of its own so that its peak RSS is its own.
 * Started by child.ts as `node worker.js '<task json>'`; writes JSON lines on stdout:
 * `{"event":"first",...}` when the first step is done (the parent's budget clock stops waiting),
 * then `{"event":"result",...}`. Progress goes to stderr.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  SGD,
  createModel,
  trainStep,
  trainableParams,
  resolveSpec,
  useBackend,
  type BackendStatus,
  type ImageBatch,
  type ResNet,
} from '@resnet/core';
import { benchModelOptions, foldedPredictor, type Predictor } from './inference.js';
import { overBudget, rate } from './stats.js';
import type { CaseSpec, Measurement } from './types.js';
import { countWebGPU } from './webgpu_counts.js';

export type WorkerTask = { kind: 'case'; spec: CaseSpec } | { kind: 'counts'; model: string; batch: number };

const MB = 2 ** 20;
const send = (event: string, body: object): void => {
  process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
};

/** A fixed random batch in the model's input shape (seeded: every backend gets the same images). */
function randomBatch(model: ResNet, size: number): ImageBatch {
  const side = model.spec.inputSize;
  const images = new Float32Array(size * side * side * 3);
  let s = 12345;
  const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < images.length; i++) images[i] = next() * 2 - 1;
  const labels = Int32Array.from({ length: size }, () => Math.floor(next() * model.spec.numClasses));
  return {
    images,
    labels,
    size,
    views: 1,
    height: side,
    width: side,
    channels: 3,
    indices: Int32Array.from({ length: size }, (_, i) => i),
  };
}

/** One step of the case as an async function, and what to free afterwards. */
function makeStep(model: ResNet, spec: CaseSpec): { step: () => Promise<void>; dispose: () => void } | { skipped: string } {
  const batch = randomBatch(model, spec.batch);
  if (spec.mode === 'train') {
    const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    let iteration = 0;
    return {
      step: async () => {
        await trainStep(model, sgd, batch, 0.1, iteration++);
      },
      dispose: () => sgd.dispose(),
    };
  }
  const p: Predictor = spec.mode === 'infer-folded' ? foldedPredictor(model) : model;
  const x = tf.tensor4d(batch.images, [batch.size, batch.height, batch.width, 3]);
  return {
    step: async () => {
      const logits = p.predict(x);
      await logits.data(); // the one read-back
      logits.dispose();
    },
    dispose: () => {
      x.dispose();
      if (p !== model) p.dispose();
    },
  };
}

/**
 * Loads only the package of the backend measured (another backend's package, e.g. Dawn's native
 * module, would count in this case's memory) and starts it.
 */
async function startBackend(name: string, threads: number | undefined): Promise<{ status: BackendStatus; threadsSet: boolean }> {
  let threadsSet = false;
  if (name === 'wasm') {
    const { setThreadsCount } = await import('@resnet/backend-wasm');
    if (threads !== undefined) setThreadsCount(threads);
    threadsSet = threads !== undefined;
  } else if (name === 'onednn') {
    // Not a literal specifier: the package is young, and its typings may not be built yet.
    const specifier: string = '@resnet/backend-onednn';
    const onednn = (await import(specifier)) as { setThreadsCount?: (n: number) => void };
    if (threads !== undefined && typeof onednn.setThreadsCount === 'function') {
      onednn.setThreadsCount(threads);
      threadsSet = true;
    }
  } else if (name === 'cpu') await import('@resnet/backend-cpu');
  else if (name === 'webgpu') await import('@resnet/backend-webgpu');
  else await import('@resnet/backend-node');
  return { status: await useBackend(name), threadsSet };
}

/** The threads the backend computes with, when known: wasm's and onednn's as they report them. */
function backendThreads(name: string, status: BackendStatus, requested: number | undefined, threadsSet: boolean): number | undefined {
  const reported = Number(status.details?.['threads']);
  if (name === 'wasm') return Number.isFinite(reported) ? reported : 1;
  if (name === 'cpu') return 1;
  if (name === 'onednn') return Number.isFinite(reported) && reported > 0 ? reported : threadsSet ? requested : undefined;
  return undefined;
}

function wasmHeapMB(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength / MB : undefined;
}

async function runCase(spec: CaseSpec): Promise<Measurement> {
  const { status, threadsSet } = await startBackend(spec.backend, spec.threads);
  const threads = backendThreads(spec.backend, status, spec.threads, threadsSet);
  const common = { device: status.device ?? status.name, ...(threads !== undefined ? { threads } : {}) };
  const baselineRssMB = process.memoryUsage().rss / MB;
  const model = createModel(spec.model, { seed: 1, ...benchModelOptions(spec.model) });
  const made = makeStep(model, spec);
  if ('skipped' in made) {
    send('first', {});
    return { ...common, skipped: made.skipped };
  }
  const t0 = performance.now();
  await made.step();
  const firstStepOnlySeconds = (performance.now() - t0) / 1000;
  // performance.now() counts from the start of this process.
  const firstStepSeconds = performance.now() / 1000;
  send('first', { firstStepSeconds, firstStepOnlySeconds });
  const label = `${spec.backend} ${spec.model} ${spec.mode} b${spec.batch}`;
  process.stderr.write(`  ${label}: first step ${firstStepOnlySeconds.toFixed(2)} s\n`);
  const first = { firstStepSeconds, firstStepOnlySeconds, baselineRssMB };
  const tooSlow = overBudget(firstStepOnlySeconds, spec.warmup, spec.runs, spec.maxSeconds);
  if (tooSlow) return { ...common, ...first, skipped: tooSlow };
  for (let i = 0; i < spec.warmup; i++) await made.step();
  const seconds: number[] = [];
  for (let i = 0; i < spec.runs; i++) {
    const t = performance.now();
    await made.step();
    seconds.push((performance.now() - t) / 1000);
    process.stderr.write(`  ${label}: run ${i + 1}/${spec.runs} ${seconds.at(-1)!.toFixed(2)} s\n`);
  }
  made.dispose();
  model.dispose();
  const heap = wasmHeapMB();
  return {
    ...common,
    ...first,
    imagesPerSecond: rate(seconds, spec.batch),
    peakRssMB: process.resourceUsage().maxRSS / 1024, // KiB
    ...(heap !== undefined ? { wasmHeapMB: heap } : {}),
  };
}

/** Dispatches and reads of one training step after a warm-up step (pipelines compiled, buffers pooled). */
async function runCounts(model: string, batch: number): Promise<{ dispatches: number; reads: number }> {
  await startBackend('webgpu', undefined);
  const net = createModel(model, { seed: 1, ...benchModelOptions(model) });
  resolveSpec(model); // a bad name fails before any GPU work
  const made = makeStep(net, { model, batch, mode: 'train', backend: 'webgpu', runs: 1, warmup: 1, maxSeconds: Infinity });
  if ('skipped' in made) throw new Error(made.skipped);
  await made.step();
  const counter = countWebGPU();
  await made.step();
  const counts = { dispatches: counter.dispatches, reads: counter.reads };
  made.dispose();
  net.dispose();
  return counts;
}

async function workerMain(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as WorkerTask;
  if (task.kind === 'case') send('result', await runCase(task.spec));
  else send('result', await runCounts(task.model, task.batch));
}

workerMain().then(
  () => process.exit(0), // the wasm thread pool and Dawn keep the event loop alive
  (e: unknown) => {
    send('error', { message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
);
