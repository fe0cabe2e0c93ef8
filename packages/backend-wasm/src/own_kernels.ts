/**
 * The package's own kernels, written in C (csrc/) and compiled to WebAssembly SIMD128 side modules
 * (wasm/, by scripts/build-kernels.mjs), run on tfjs-backend-wasm's own heap: the module imports the
 * backend's `WebAssembly.Memory`, so a kernel reads its inputs where tfjs keeps them
 * (`dataIdMap.get(id).memoryOffset`) and writes into outputs from `backend.makeOutput`: no copies.
 *
 * One module instance per backend instance, made when the backend starts (`attachOwnKernels`, called
 * from the backend factory in backend.ts, before tfjs runs any kernel): the SIMD build exports its
 * memory (`Module.asm.memory`), the threaded build shares one (`Module.wasmMemory`, a
 * SharedArrayBuffer), and each needs the variant built for it. If the module cannot load (no SIMD,
 * a missing file, a failed fetch) the backend still runs, on tfjs's kernels, and its status says why.
 *
 * The kernels that split their work (the convolutions, csrc/pool.c) run on the calling thread and,
 * with the threaded build, on workers of their own (kernel_workers.ts), one per thread the backend
 * runs beyond the first: each worker instantiates the same module on the same shared memory and
 * waits on a job block on the heap that the calling thread fills.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelWorker, WorkerStart } from './kernel_workers.js';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';

/** The two side modules, by file name: one for each memory tfjs's SIMD builds have. */
export const KERNEL_BINARIES = ['resnet-kernels-simd.wasm', 'resnet-kernels-threaded-simd.wasm'] as const;
export type KernelBinary = (typeof KERNEL_BINARIES)[number];

/**
 * The C functions (csrc/*.c); pointers are byte offsets into the heap, the result a status (0: done).
 * `job` is the job block of the thread pool (csrc/pool.c), which the kernels that split their work take first.
 */
export interface KernelExports {
  rn_job_bytes(): number;
  rn_pool_stop(job: number): number;
  bn_train_scratch_bytes(c: number): number;
  bn_train_forward(...args: number[]): number;
  bn_train_backward(...args: number[]): number;
  add_relu(job: number, a: number, b: number, y: number, n: number): number;
  relu_grad(job: number, dy: number, y: number, dx: number, n: number): number;
  sgd_momentum(...args: number[]): number;
  channel_binary(job: number, op: number, bFirst: number, x: number, rows: number, c: number, b: number, y: number): number;
  conv2d_scratch_bytes(kh: number, kw: number, cin: number, cout: number): number;
  conv2d_nhwc(...args: number[]): number;
  conv2d_filter_scratch_bytes(n: number, oh: number, ow: number, kh: number, kw: number, cin: number, cout: number): number;
  conv2d_filter_nhwc(...args: number[]): number;
  conv2d_input_scratch_bytes(kh: number, kw: number, cin: number, cout: number): number;
  conv2d_input_nhwc(...args: number[]): number;
  winograd_filter_bytes(cin: number, cout: number): number;
  winograd_scratch_bytes(n: number, oh: number, ow: number, cin: number, cout: number): number;
  winograd_filter(g: number, cin: number, cout: number, u: number, uBytes: number): number;
  winograd_conv3x3(...args: number[]): number;
}
const EXPORTS: readonly (keyof KernelExports)[] = [
  'rn_job_bytes',
  'rn_pool_stop',
  'bn_train_scratch_bytes',
  'bn_train_forward',
  'bn_train_backward',
  'add_relu',
  'relu_grad',
  'sgd_momentum',
  'channel_binary',
  'conv2d_scratch_bytes',
  'conv2d_nhwc',
  'conv2d_filter_scratch_bytes',
  'conv2d_filter_nhwc',
  'conv2d_input_scratch_bytes',
  'conv2d_input_nhwc',
  'winograd_filter_bytes',
  'winograd_scratch_bytes',
  'winograd_filter',
  'winograd_conv3x3',
];

/** Status codes of csrc/kernels.h. */
const STATUS: Record<number, string> = {
  1: 'a size is 0 or overflows 32 bits',
  2: 'the scratch buffer is too small',
  3: 'unknown operation code',
};

export interface OwnKernels {
  readonly binary: KernelBinary;
  readonly exports: KernelExports;
  /** The heap offset of the thread pool's job block. */
  readonly job: number;
  /** Threads that run the kernels that split their work: the calling one and the workers looping. */
  readonly threads: number;
  /** Packed filters kept for reuse (src/kernels/Conv2D.ts), freed with their tensor. */
  readonly packs: Map<object, PackedFilter>;
}

/** A filter's uses so far, and once it was used twice, its packed copy on the heap. */
export interface PackedFilter {
  uses: number;
  at?: number;
  /** Its Winograd transform (csrc/winograd.c), once used twice. */
  winograd?: number;
}

/** Where a binary comes from on this platform, and how to read it (node.ts and index.ts). */
export interface KernelSource {
  /** The path or URL of `name`, or why there is none. */
  locate(name: KernelBinary): { location: string } | { error: string };
  read(location: string): Promise<BufferSource>;
  /**
   * Starts a worker that runs the kernels beside the calling thread (kernel_workers.ts); `looping`
   * settles once it waits for work, or says why it cannot. Absent where there are no workers.
   */
  /** Whether the thread that runs the kernels may block (Atomics.wait): not a browser page's main thread. */
  mayWait?: boolean;
  startWorker?(start: WorkerStart): { worker: KernelWorker; looping: Promise<{ looping: true } | { error: string }> };
}

/** What the last start-up did with the module, for the status. */
export interface OwnKernelsState {
  loaded: boolean;
  /** `resnet-kernels-simd.wasm from /…/wasm/… on 2 threads` when loaded; why not, otherwise. */
  detail: string;
  /** Problems that did not stop the kernels (a worker that did not start: fewer threads run them). */
  warnings: string[];
}

const instances = new WeakMap<object, OwnKernels>();

/** The module instance on `backend`'s heap, if it loaded there. */
export function ownKernelsOf(backend: unknown): OwnKernels | undefined {
  return instances.get(backend as object);
}

interface EmscriptenHeap {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

/** The backend's `WebAssembly.Memory`: the threaded build keeps it as `wasmMemory`, the others export it. */
export function heapMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const module = backend.wasm as unknown as EmscriptenHeap;
  const memory = module.wasmMemory ?? module.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Which variant a memory needs. */
export function binaryFor(memory: WebAssembly.Memory): KernelBinary {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  return shared ? 'resnet-kernels-threaded-simd.wasm' : 'resnet-kernels-simd.wasm';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Loads the module onto `backend`'s heap and registers the kernels that exist only with it
 * (`conditional`); on failure unregisters them, so tfjs's kernels (and core's composite ops) run.
 * Never throws: the returned state says what happened.
 */
export async function attachOwnKernels(
  backend: BackendWasm,
  simd: boolean,
  source: KernelSource,
  conditional: readonly KernelConfig[],
): Promise<OwnKernelsState> {
  const fail = (why: string): OwnKernelsState => {
    for (const config of conditional)
      if (getKernel(config.kernelName, config.backendName) != null) unregisterKernel(config.kernelName, config.backendName);
    return { loaded: false, detail: why, warnings: [] };
  };
  if (!simd) return fail('this engine has no WebAssembly SIMD, which they are compiled for');
  const memory = heapMemory(backend);
  if (!memory) return fail("cannot find the backend's WebAssembly.Memory (Module.wasmMemory or Module.asm.memory)");
  const binary = binaryFor(memory);
  const located = source.locate(binary);
  if ('error' in located) return fail(located.error);
  let exports: KernelExports;
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(await source.read(located.location));
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        // The module has no static data and no function table (the build checks): both bases are 0.
        __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
        __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
        __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      },
    });
    const raw = instance.exports as Record<string, unknown>;
    const missing = EXPORTS.filter((name) => typeof raw[name] !== 'function');
    if (missing.length) return fail(`${located.location} has no ${missing.join(', ')} (an older build?)`);
    exports = raw as unknown as KernelExports;
  } catch (e) {
    return fail(`${located.location} did not load: ${message(e)}`);
  }
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number };
  const jobBytes = exports.rn_job_bytes();
  const job = heap._malloc(jobBytes) >>> 0;
  if (job === 0) return fail(`could not allocate the ${jobBytes}-byte job block on the wasm heap`);
  new Uint8Array(memory.buffer, job, jobBytes).fill(0);
  // RnJob.may_wait (csrc/kernels.h): the calling thread may sleep unless it is a page's main thread.
  if (source.mayWait) new Uint32Array(memory.buffer, job + 28, 1)[0] = 1;
  const { threads, warnings } = await startWorkers(backend, binary, source, { module, memory, job });
  const packs = new Map<object, PackedFilter>();
  keepPacksWithTheirTensors(backend, packs);
  instances.set(backend, { binary, exports, job, threads, packs });
  for (const config of conditional) {
    if (getKernel(config.kernelName, config.backendName) != null) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
  return { loaded: true, detail: `${binary} from ${located.location} on ${threads} thread${threads === 1 ? '' : 's'}`, warnings };
}

/**
 * After a call that packed `filter` into `at` (conv.c's panels or winograd.c's transform, `kind`):
 * counts the use and, from the second, keeps `at` as the filter's copy. True: the caller must not free it.
 */
export function keepPackedOnReuse(own: OwnKernels, filter: object, kind: 'at' | 'winograd', at: number): boolean {
  const pack = own.packs.get(filter);
  if (!pack) {
    own.packs.set(filter, { uses: 1 });
    return false;
  }
  pack.uses++;
  pack[kind] = at;
  return true;
}

/** Frees a filter's packed copy when tfjs frees the filter (its last reference). */
function keepPacksWithTheirTensors(backend: BackendWasm, packs: Map<object, PackedFilter>): void {
  const heap = backend.wasm as unknown as { _free(at: number): void };
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean): boolean => {
    const freed = disposeData(dataId, force);
    const pack = freed ? packs.get(dataId) : undefined;
    if (pack) {
      if (pack.at !== undefined) heap._free(pack.at);
      if (pack.winograd !== undefined) heap._free(pack.winograd);
      packs.delete(dataId);
    }
    return freed;
  };
}

/**
 * One worker per thread the backend runs beyond the calling one (threaded build only). They end
 * with the backend (`dispose`) or, unreferenced, with the process.
 */
async function startWorkers(
  backend: BackendWasm,
  binary: KernelBinary,
  source: KernelSource,
  start: WorkerStart,
): Promise<{ threads: number; warnings: string[] }> {
  const wanted = binary === 'resnet-kernels-threaded-simd.wasm' && source.startWorker ? getThreadsCount() - 1 : 0;
  if (wanted <= 0) return { threads: 1, warnings: [] };
  const started: KernelWorker[] = [];
  const results = await Promise.all(
    Array.from({ length: wanted }, async () => {
      try {
        const { worker, looping } = source.startWorker!(start);
        started.push(worker);
        return await looping;
      } catch (e) {
        return { error: message(e) };
      }
    }),
  );
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    const own = instances.get(backend);
    if (own) own.exports.rn_pool_stop(own.job);
    for (const worker of started) worker.terminate();
    instances.delete(backend);
    dispose();
  };
  const errors = results.flatMap((r) => ('error' in r ? [r.error] : []));
  const looping = results.length - errors.length;
  const warnings = errors.length
    ? [`${errors.length} of ${wanted} kernel workers did not start (${errors[0]}); the kernels run on ${looping + 1} threads`]
    : [];
  return { threads: looping + 1, warnings };
}

/** The module on `backend`, or an error naming the kernel (a kernel registered only with it ran without it). */
export function requireOwnKernels(kernel: string, backend: unknown): OwnKernels {
  const own = ownKernelsOf(backend);
  if (!own) throw new Error(`${kernel}: the package's wasm kernels are not loaded on this backend instance (see its status)`);
  return own;
}

/** Throws unless a C function returned 0. */
export function checkStatus(kernel: string, status: number): void {
  if (status !== 0) throw new Error(`${kernel}: the wasm kernel refused its arguments (${STATUS[status] ?? `status ${status}`})`);
}

/** The heap offset of a tensor's data. */
export function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** `bytes` of scratch from tfjs's allocator for the length of `f`. */
export function withScratch<T>(backend: BackendWasm, bytes: number, f: (at: number) => T): T {
  // Emscripten's allocator, which tfjs's own kernels use (its typings leave it out).
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(at: number): void };
  const at = heap._malloc(Math.max(16, bytes)) >>> 0;
  if (at === 0) throw new Error(`@resnet/backend-wasm: could not allocate ${bytes} bytes of scratch on the wasm heap`);
  try {
    return f(at);
  } finally {
    heap._free(at);
  }
}
