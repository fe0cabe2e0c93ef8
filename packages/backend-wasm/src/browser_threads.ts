/**
 * Starts tfjs-backend-wasm's threaded SIMD build in a browser with a chosen number of threads, for
 * the browser entry point (index.ts), and hands the module to tfjs's own `BackendWasm`.
 *
 * Why tfjs's loader cannot do it: tfjs 4.22's C++ (`backend.cc`) computes
 * `num_cores = emscripten_num_logical_cores() / 2` once, when the module starts, and
 * `init_with_threads_count(n)`, which `BackendWasm`'s constructor calls with `setThreadsCount`'s
 * value, creates the XNNPACK pool with `min(max(n, 1), 8, num_cores)` threads. The Emscripten
 * import `emscripten_num_logical_cores` returns `navigator.hardwareConcurrency`, so a browser gets at
 * most half its logical cores whatever `setThreadsCount` asks (one thread on a 2-core machine). The
 * Emscripten workers are not the limit: the glue starts 8 of them up front (its `PTHREAD_POOL_SIZE`,
 * fixed at compile time) and adds more on demand.
 *
 * So this loader does what tfjs's `init()` does (the same glue, worker script and `locateFile`), with
 * one difference: Emscripten's documented `instantiateWasm` hook answers that import with twice
 * the wanted count, so that `num_cores` is exactly `threads` and the pool gets them. Nothing else
 * in tfjs's build calls it (the pool size is always given), and the pthread workers never run the
 * module's constructors, so they do not recompute `num_cores`.
 */
import { BackendWasm, setThreadsCount as tfjsSetThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as threadedGlue from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import * as tf from '@tensorflow/tfjs-core';
import { wasmFile, type WasmBinary } from './backend.js';

const THREADED = 'tfjs-backend-wasm-threaded-simd.wasm' satisfies WasmBinary;

/** The part of the Emscripten module that tfjs's `BackendWasm` and this file use. */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { terminateAllThreads(): void };
  tfjs?: unknown;
}
interface EmscriptenConfig {
  mainScriptUrlOrBlob: Blob;
  locateFile(name: string, prefix: string): string;
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
  onAbort(what: unknown): void;
}
type EmscriptenFactory = (config: EmscriptenConfig) => Promise<EmscriptenModule>;

// A CommonJS module: bundlers give its `module.exports` as the default export or as the namespace
// (tfjs's own backend_wasm.js reads it the same way).
const factory = ((threadedGlue as { default?: unknown }).default ?? threadedGlue) as EmscriptenFactory;

/** Answers the module's core-count import with `2 * threads` (see the file comment). */
function sizePool(imports: WebAssembly.Imports, threads: number): void {
  const env = imports['env'] as Record<string, unknown> | undefined;
  const key =
    env &&
    Object.keys(env).find(
      (k) => k === 'emscripten_num_logical_cores' || (env[k] as { name?: string } | undefined)?.name === '_emscripten_num_logical_cores',
    );
  if (!env || key === undefined)
    throw new Error('the threaded build has no emscripten_num_logical_cores import to size its thread pool with');
  env[key] = () => 2 * threads;
}

async function instantiate(url: string, imports: WebAssembly.Imports): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
  const response = await tf.util.fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`fetching ${url} answered ${response.status} ${response.statusText}`);
  if (typeof WebAssembly.instantiateStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

/**
 * The `wasm` backend on tfjs's threaded SIMD build with `threads` threads (2 to 8), its .wasm file
 * where setWasmPaths says (else next to the glue script, as tfjs does). If the module cannot start,
 * it rejects and stops the workers it started.
 */
export async function startThreadedBrowser(threads: number): Promise<tf.KernelBackend> {
  let workerUrl: string | undefined;
  let wasmUrl: string | undefined;
  let failed: (e: Error) => void = () => {};
  const config: EmscriptenConfig & Partial<EmscriptenModule> = {
    // What each pthread worker evaluates to get the module factory, as tfjs's init() gives it.
    mainScriptUrlOrBlob: new Blob([`var WasmBackendModuleThreadedSimd = ${factory.toString()}`], { type: 'text/javascript' }),
    locateFile(name, prefix) {
      if (name.endsWith('.worker.js')) {
        // tfjs's worker script, as a Blob (its literal "\n"s escaped again, as tfjs does).
        workerUrl ??= URL.createObjectURL(new Blob([wasmWorkerContents.replace(/\n/g, '\\n')], { type: 'application/javascript' }));
        return workerUrl;
      }
      if (name.endsWith('.wasm')) return (wasmUrl = wasmFile(THREADED, prefix));
      return prefix + name;
    },
    instantiateWasm(imports, receive) {
      sizePool(imports, threads);
      instantiate(wasmUrl ?? wasmFile(THREADED, ''), imports).then(
        ({ instance, module }) => receive(instance, module),
        (e: unknown) => failed(e instanceof Error ? e : new Error(String(e))),
      );
      return {}; // the exports arrive through `receive`
    },
    onAbort: (what) => failed(new Error(`the threaded build aborted: ${String(what)}`)),
  };
  try {
    // Emscripten makes the config object the module (it adds PThread, cwrap, … to it).
    const module = await new Promise<EmscriptenModule>((resolve, reject) => {
      failed = reject;
      factory(config).then(resolve, reject);
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
    // Its constructor creates the pool, init_with_threads_count(threads); getThreadsCount() says what it got.
    return new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  } catch (e) {
    config.PThread?.terminateAllThreads();
    throw e;
  }
}
