/**
 * One onnxruntime case of `resnet bench` (an inference peer), in a process of its own like the
 * tfjs and PyTorch cases: `node onnx_worker.js '<task json>'`, JSON lines on stdout as worker.ts
 * writes them. onnxruntime-node runs its native CPU provider; onnxruntime-web its wasm backend, in
 * Node. Both are devDependencies of @resnet/cli (the bench only): when one is not installed, the
 * 'probe' task says so and the bench reports the peer as skipped. No tfjs is loaded here.
 */
import { overBudget, rate } from './stats.js';
import type { Measurement, Peer } from './types.js';

export type OnnxTask =
  | { kind: 'probe'; peer: Peer }
  | {
      kind: 'case';
      peer: Peer;
      /** The ONNX file: input "input" [batch, 3, side, side], output "logits". */
      file: string;
      side: number;
      batch: number;
      runs: number;
      warmup: number;
      threads: number;
      maxSeconds: number;
    };

/** The part of onnxruntime's API used here (the same in -node and -web). */
interface OrtTensor {
  readonly data: ArrayLike<number>;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}
interface Ort {
  InferenceSession: { create(file: string, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: Record<string, string>; wasm?: { numThreads?: number; simd?: boolean } };
}

const MB = 2 ** 20;
const send = (event: string, body: object): void => {
  process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
};

async function load(peer: Peer): Promise<Ort> {
  const name: string = peer; // not a literal: the published CLI is built and typechecked without them
  try {
    const m = (await import(name)) as Ort & { default?: Ort };
    return typeof m.InferenceSession === 'function' || typeof m.InferenceSession === 'object' ? m : m.default!;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new Error(
      `${peer} is not installed (a devDependency of @resnet/cli, for the bench only: pnpm install in the repository): ${why}`,
    );
  }
}

function version(ort: Ort, peer: Peer): string {
  return ort.env.versions?.[peer === 'onnxruntime-node' ? 'node' : 'web'] ?? ort.env.versions?.['common'] ?? 'unknown';
}

async function runCase(task: Extract<OnnxTask, { kind: 'case' }>): Promise<Measurement> {
  const ort = await load(task.peer);
  let options: Record<string, unknown>;
  if (task.peer === 'onnxruntime-web') {
    ort.env.wasm!.numThreads = task.threads;
    options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  } else options = { executionProviders: ['cpu'], intraOpNumThreads: task.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const baselineRssMB = process.memoryUsage().rss / MB;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(task.file, options);
  // The same seeded images as worker.ts's (NCHW here: the layout of the exported model).
  const images = new Float32Array(task.batch * 3 * task.side * task.side);
  let s = 12345;
  for (let i = 0; i < images.length; i++) images[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const x = new ort.Tensor('float32', images, [task.batch, 3, task.side, task.side]);
  const input = session.inputNames[0] ?? 'input';
  const output = session.outputNames[0] ?? 'logits';
  let sink = 0;
  const step = async (): Promise<void> => {
    const out = await session.run({ [input]: x });
    sink += out[output]!.data[0] ?? 0; // the logits, on the CPU
  };
  await step();
  const firstStepOnlySeconds = (performance.now() - t0) / 1000;
  const firstStepSeconds = performance.now() / 1000;
  send('first', { firstStepSeconds, firstStepOnlySeconds });
  const label = `${task.peer} b${task.batch}`;
  process.stderr.write(`  ${label}: first step (with the session) ${firstStepOnlySeconds.toFixed(2)} s\n`);
  const threads = task.peer === 'onnxruntime-web' ? (ort.env.wasm?.numThreads ?? 1) : task.threads;
  const device =
    task.peer === 'onnxruntime-web'
      ? `onnxruntime-web ${version(ort, task.peer)} (wasm, ${threads} thread${threads === 1 ? '' : 's'})`
      : `onnxruntime-node ${version(ort, task.peer)} (CPU)`;
  const common = { device, threads, firstStepSeconds, firstStepOnlySeconds, baselineRssMB };
  const tooSlow = overBudget(firstStepOnlySeconds, task.warmup, task.runs, task.maxSeconds);
  if (tooSlow) return { ...common, skipped: tooSlow };
  for (let i = 0; i < task.warmup; i++) await step();
  const seconds: number[] = [];
  for (let i = 0; i < task.runs; i++) {
    const t = performance.now();
    await step();
    seconds.push((performance.now() - t) / 1000);
    process.stderr.write(`  ${label}: run ${i + 1}/${task.runs} ${seconds.at(-1)!.toFixed(2)} s\n`);
  }
  if (!Number.isFinite(sink)) process.stderr.write(`  ${label}: the logits are not finite\n`);
  return { ...common, imagesPerSecond: rate(seconds, task.batch), peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

async function onnxMain(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as OnnxTask;
  if (task.kind === 'probe') {
    const ort = await load(task.peer);
    send('result', { version: version(ort, task.peer) });
  } else send('result', await runCase(task));
}

onnxMain().then(
  () => process.exit(0), // onnxruntime-web's thread pool keeps the event loop alive
  (e: unknown) => {
    send('error', { message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
);
