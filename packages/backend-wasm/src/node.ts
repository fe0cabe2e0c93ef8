/**
 * @resnet/backend-wasm in Node (package.json `exports` → `node`). Two things differ from browsers:
 *
 * 1. The .wasm files are read from the installed @tensorflow/tfjs-backend-wasm (its `dist/`, found
 *    with `require.resolve`), so nothing is fetched and bundling the JavaScript does not lose them.
 *    Emscripten reads them with `fs`, so a path (or file: URL) works here and an http: URL does not.
 *
 * 2. Threads. tfjs 4.22 never runs its threaded build in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 *    false there, tensorflow/tfjs#3830): its loader hands Emscripten a Blob URL for the worker
 *    script, which worker_threads cannot load. The build itself runs in Node 20, so this entry
 *    starts it directly, with the worker script in `pthread-worker.cjs`, and hands the module to
 *    tfjs's own `BackendWasm`. tfjs's C++ also sizes its thread pool as logical cores / 2 (it
 *    assumes two hardware threads per core, `backend.cc`), which is one thread on a 2-core machine;
 *    the cores import is answered with twice the wanted count so that the pool gets exactly
 *    `setThreadsCount` threads (default: `os.availableParallelism()`). Measured on a 2-core
 *    machine: convolutions and their gradients 1.5–1.7× faster, a ResNet-20 training step 1.25×
 *    (49 against 40 images/s at batch 32; the element-wise kernels stay single-threaded).
 *    If any of this fails, the single-threaded SIMD build starts instead, with a warning in the
 *    status.
 *
 * 3. The package's own kernel modules (own_kernels.ts) are read from its `wasm/` directory, next to
 *    `dist/` and `src/`, unless setWasmPaths's map names them; a directory given to setWasmPaths is
 *    tfjs's (usually its installed `dist/`) and is not searched for them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BackendWasm, setThreadsCount as tfjsSetThreadsCount, setWasmPaths as tfjsSetWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { MAX_THREADS, install, mappedKernelFile, state, wasmFile, type WasmBinary } from './backend.js';
import { WORKER_START_MS, workerProgram, whenLooping } from './kernel_workers.js';
import type { KernelBinary } from './own_kernels.js';

const require = createRequire(import.meta.url);
const WORKER_SCRIPT = fileURLToPath(new URL('./pthread-worker.cjs', import.meta.url));
/** This package's wasm/ (the same from src/ and dist/). */
const KERNEL_DIR = fileURLToPath(new URL('../wasm/', import.meta.url));
const THREADED_GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

/** tfjs-backend-wasm's `dist/`, where its three .wasm files are, with a trailing separator. */
function installedWasmDir(): string | undefined {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep;
  } catch {
    return undefined;
  }
}

const defaultDir = installedWasmDir();
// tfjs's own loader (the single-threaded path) reads its prefix; a later setWasmPaths replaces it.
if (defaultDir !== undefined) tfjsSetWasmPaths(defaultDir);

function defaultThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_THREADS, cores));
}

function wantedThreads(): number {
  return state.threads ?? defaultThreads();
}

/** A path for `fs`, or why this location cannot be read in Node. */
function localPath(location: string): { file: string } | { error: string } {
  if (location.startsWith('file:')) return { file: fileURLToPath(location) };
  // A scheme of two letters or more: "C:\\…" is a Windows path, not a URL.
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location)) {
    return { error: `Node reads the .wasm files from disk, but setWasmPaths gave the URL ${location}` };
  }
  return { file: location };
}

function binaryPath(name: WasmBinary): { file: string } | { error: string } {
  if (state.paths === undefined && defaultDir === undefined) {
    return {
      error: 'cannot find @tensorflow/tfjs-backend-wasm/dist (is it installed?); call setWasmPaths with the directory of its .wasm files',
    };
  }
  const located = localPath(wasmFile(name, defaultDir ?? ''));
  if ('file' in located && !existsSync(located.file)) {
    return {
      error: `the .wasm file ${located.file} does not exist (reinstall @tensorflow/tfjs-backend-wasm, or call setWasmPaths with the directory holding it)`,
    };
  }
  return located;
}

/** Why the threaded build cannot start here, or undefined. */
function threadedUnavailable(): string | undefined {
  if (!existsSync(WORKER_SCRIPT)) return `its worker script ${WORKER_SCRIPT} is missing (was @resnet/backend-wasm bundled?)`;
  try {
    require.resolve(THREADED_GLUE);
  } catch {
    return `cannot resolve ${THREADED_GLUE}`;
  }
  const binary = binaryPath('tfjs-backend-wasm-threaded-simd.wasm');
  return 'error' in binary ? binary.error : undefined;
}

/** The part of an Emscripten module that tfjs's `BackendWasm` and this file use. */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread: { runningWorkers: Array<{ unref?: () => void }> };
  tfjs?: unknown;
}
interface EmscriptenConfig {
  locateFile(name: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): WebAssembly.Exports;
}
type EmscriptenFactory = (config: EmscriptenConfig) => Promise<EmscriptenModule>;

async function startThreaded(threads: number): Promise<tf.KernelBackend> {
  const binary = binaryPath('tfjs-backend-wasm-threaded-simd.wasm');
  if ('error' in binary) throw new Error(binary.error);
  // Compiled up front, so that a bad file rejects here rather than inside Emscripten's start-up.
  const compiled = await WebAssembly.compile(readFileSync(binary.file));
  const gluePath = require.resolve(THREADED_GLUE);
  const factory = require(gluePath) as EmscriptenFactory;
  const module = await factory({
    locateFile: (name) => (name.endsWith('.worker.js') ? WORKER_SCRIPT : binary.file),
    // What each worker evaluates to get the module factory (by path: see pthread-worker.cts).
    mainScriptUrlOrBlob: gluePath,
    instantiateWasm(imports, receive) {
      const env = imports['env'] as Record<string, unknown>;
      const key = Object.keys(env).find(
        (k) => k === 'emscripten_num_logical_cores' || (env[k] as { name?: string } | undefined)?.name === '_emscripten_num_logical_cores',
      );
      if (key === undefined) throw new Error('the threaded build has no emscripten_num_logical_cores import to size its thread pool with');
      // tfjs's C++ takes half of this as its core count and caps the pool there: see the file comment.
      env[key] = () => 2 * threads;
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
  });
  // The same bindings tfjs's own loader (`init` in backend_wasm.ts) adds.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  tfjsSetThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // XNNPACK's pool threads wait for work for the life of the backend; a referenced worker would
  // keep Node from ever exiting. Unreferenced, they end with the process.
  for (const worker of module.PThread.runningWorkers) worker.unref?.();
  return backend;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function locateKernels(name: KernelBinary): { location: string } | { error: string } {
  const mapped = mappedKernelFile(name);
  const located = mapped !== undefined ? localPath(mapped) : { file: path.join(KERNEL_DIR, name) };
  if ('error' in located) return located;
  if (!existsSync(located.file))
    return { error: `the kernel module ${located.file} does not exist (reinstall @resnet/backend-wasm, whose wasm/ holds it)` };
  return { location: located.file };
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `start` and removes the process-wide handlers it added. tfjs's Emscripten glue installs an
 * `uncaughtException` handler that rethrows every error from inside the glue (to let its own
 * `exit()` through, which tfjs never calls), so an uncaught error in the user's own code was printed
 * as 55 KB of minified glue source with exit code 7 instead of Node's own report and exit code 1;
 * its `unhandledRejection` handler does the same to rejections.
 */
async function withoutEmscriptenHandlers<T>(start: () => Promise<T>): Promise<T> {
  type Listener = (...args: unknown[]) => void;
  const listeners = (event: string): Listener[] => process.listeners(event as 'uncaughtException') as Listener[];
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(listeners(e))]));
  try {
    return await start();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listeners(event)) if (!before.get(event)!.has(listener)) process.off(event as 'uncaughtException', listener);
    }
  }
}

install({
  unavailableReason(simd) {
    if (typeof WebAssembly !== 'object') return 'this Node has no WebAssembly';
    const binary = binaryPath(simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
    return 'error' in binary ? binary.error : undefined;
  },
  async plannedThreads(simd) {
    const threads = wantedThreads();
    return simd && threads > 1 && threadedUnavailable() === undefined ? threads : 1;
  },
  wasmLocation() {
    if (state.paths === undefined) return defaultDir ?? '(not found)';
    return typeof state.paths === 'string' ? state.paths : 'a file map (setWasmPaths)';
  },
  backendFactory: (shipped) => async () =>
    withoutEmscriptenHandlers(async () => {
      state.warnings = [];
      const threads = wantedThreads();
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      if (simd && threads > 1) {
        const why = threadedUnavailable();
        if (why === undefined) {
          try {
            return await startThreaded(threads);
          } catch (e) {
            state.warnings.push(`the threaded build failed to start (${message(e)}); running on one thread`);
          }
        } else {
          state.warnings.push(`the threaded build cannot start: ${why}; running on one thread`);
        }
      }
      return shipped();
    }),
  failureHint: 'In Node the .wasm files come from the installed @tensorflow/tfjs-backend-wasm; setWasmPaths() takes another directory.',
  kernels: {
    locate: locateKernels,
    read: (file) => readFile(file),
    mayWait: true,
    startWorker(start) {
      const worker = new Worker(
        workerProgram(`const { parentPort } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
parentPort.once('message', start);`),
        { eval: true },
      );
      // It waits for work for the life of the backend; unreferenced, it ends with the process.
      worker.unref();
      const looping = whenLooping((listener) => {
        worker.once('message', listener);
        worker.once('error', (e) => listener({ error: e.message }));
      }, WORKER_START_MS);
      worker.postMessage(start);
      return { worker, looping };
    },
  },
});

export * from './public_api.js';
