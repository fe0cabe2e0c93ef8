/**
 * What both entry points share: the training kernels, the settings (where the .wasm files are, how
 * many threads) and the `wasm` provider for @resnet/core. The entry points differ only in the
 * `Platform` they install: `node.ts` loads the .wasm files from the installed package and runs the
 * threaded build on worker_threads; `index.ts` (browsers, bundlers) leaves both to tfjs.
 */
import '@tensorflow/tfjs-backend-wasm';
import {
  getThreadsCount as tfjsThreadsCount,
  setThreadsCount as tfjsSetThreadsCount,
  setWasmPaths as tfjsSetWasmPaths,
  version_wasm,
} from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, registerBackendProvider, type BackendProvider, type BackendStatus } from '@resnet/core';
import { registerTrainingKernels } from './register_kernels.js';

/** The three binaries tfjs-backend-wasm ships, by the name `setWasmPaths` maps. */
export const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
export type WasmBinary = (typeof WASM_BINARIES)[number];
export type WasmPaths = string | Readonly<Record<WasmBinary, string>>;

/** tfjs's C++ caps XNNPACK's pool at 8 threads (`max_num_threads`), the workers its threaded build starts. */
export const MAX_THREADS = 8;

/** What differs between Node and browsers. */
export interface Platform {
  /** Why the backend cannot start here, checked without starting it; undefined when it can. */
  unavailableReason(simd: boolean): string | undefined;
  /** Threads the backend will run, before it starts. */
  plannedThreads(simd: boolean): Promise<number>;
  /** Where the .wasm files come from, for the status. */
  wasmLocation(): string;
  /** Replaces tfjs's factory for the `wasm` backend (optional); called once, at install. */
  backendFactory?(shipped: () => tf.KernelBackend | Promise<tf.KernelBackend>): () => Promise<tf.KernelBackend>;
  /** A hint appended to start-up errors. */
  failureHint: string;
}

interface State {
  platform: Platform | undefined;
  paths: WasmPaths | undefined;
  threads: number | undefined;
  /** Why the last start-up failed, as the factory saw it. */
  initError: string | undefined;
  /** Problems that did not stop the backend (e.g. the threaded build failed and one thread runs). */
  warnings: string[];
}

export const state: State = { platform: undefined, paths: undefined, threads: undefined, initError: undefined, warnings: [] };

/** Whether the tfjs `wasm` backend has been created (it reads its settings only then). */
export function wasmStarted(): boolean {
  return tf.engine().registry['wasm'] != null;
}

function refuseAfterStart(what: string): void {
  if (wasmStarted()) {
    throw new ResNetError(
      `resnet: ${what} must be called before the wasm backend starts (before useBackend('wasm') or tf.setBackend('wasm'))`,
    );
  }
}

/**
 * Where the .wasm files are: a directory (URL prefix or, in Node, a path) ending with `/`, or a map
 * from each of the three file names to its URL. Browsers and bundlers need this, because the files
 * are not JavaScript and a bundler moves them (see the README); in Node the installed
 * `@tensorflow/tfjs-backend-wasm` is found without it. Call it before the backend starts.
 */
export function setWasmPaths(paths: WasmPaths, usePlatformFetch = false): void {
  refuseAfterStart('setWasmPaths');
  if (typeof paths === 'string') {
    if (paths === '') throw new ResNetError('resnet: setWasmPaths needs a directory or URL prefix ending with "/", got ""');
  } else {
    const missing = WASM_BINARIES.filter((name) => typeof paths[name] !== 'string');
    if (missing.length)
      throw new ResNetError(`resnet: setWasmPaths's map has no entry for ${missing.join(', ')}; give all three files or a directory`);
  }
  tfjsSetWasmPaths(paths as Parameters<typeof tfjsSetWasmPaths>[0], usePlatformFetch);
  state.paths = paths;
}

/**
 * How many threads XNNPACK uses (1 to 8). The default in Node is the number of cores; in browsers,
 * tfjs's choice when the page is cross-origin isolated (threads need SharedArrayBuffer), else 1.
 * Call it before the backend starts.
 */
export function setThreadsCount(threads: number): void {
  refuseAfterStart('setThreadsCount');
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ResNetError(`resnet: the wasm thread count must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  tfjsSetThreadsCount(threads);
  state.threads = threads;
}

/** The path or URL of one binary under the current settings (prefix + name, or the map's entry). */
export function wasmFile(name: WasmBinary, defaultPrefix: string): string {
  const paths = state.paths ?? defaultPrefix;
  return typeof paths === 'string' ? paths + name : paths[name];
}

async function simdSupported(): Promise<boolean> {
  try {
    return Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    return false;
  }
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

export async function wasmStatus(): Promise<BackendStatus> {
  const platform = state.platform;
  const base = { name: 'wasm', tfjsBackend: 'wasm' } as const;
  try {
    if (!platform)
      return { ...base, available: false, reason: '@resnet/backend-wasm was loaded without an entry point (import the package itself)' };
    const simd = await simdSupported();
    const started = wasmStarted();
    const threads = started ? tfjsThreadsCount() : await platform.plannedThreads(simd);
    const warnings = [...state.warnings];
    if (!simd) warnings.push('this engine has no WebAssembly SIMD: the plain build runs several times slower');
    const reason = started ? undefined : platform.unavailableReason(simd);
    return {
      ...base,
      available: reason === undefined,
      ...(reason !== undefined ? { reason } : {}),
      device: `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`,
      details: {
        simd: simd ? 'yes' : 'no',
        threads: String(threads),
        binary: simd ? (threads > 1 ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm') : 'tfjs-backend-wasm.wasm',
        wasmFiles: platform.wasmLocation(),
        tfjs: tf.version_core,
        tfjsBackendWasm: version_wasm,
      },
      ...(warnings.length ? { warnings } : {}),
    };
  } catch (e) {
    // probe() never throws: whatever went wrong is the reason.
    return { ...base, available: false, reason: `could not inspect the wasm backend: ${message(e)}` };
  }
}

export const wasmBackend: BackendProvider = {
  name: 'wasm',
  tfjsBackend: 'wasm',
  priority: 20,
  probe: wasmStatus,
  async activate() {
    const before = await wasmStatus();
    if (!before.available) throw new ResNetError(`resnet: the wasm backend cannot run here: ${before.reason}`);
    state.initError = undefined;
    let started: boolean;
    try {
      started = await tf.setBackend('wasm');
    } catch (e) {
      throw new ResNetError(`resnet: the wasm backend failed to start: ${message(e)}`);
    }
    if (!started) {
      const why = state.initError ?? 'tfjs reported no reason (see the warnings above)';
      throw new ResNetError(`resnet: the wasm backend failed to start: ${why}. ${state.platform!.failureHint}`);
    }
    await tf.ready();
    return wasmStatus();
  },
};

/**
 * Installs an entry point's platform: the kernels, the backend factory (wrapped so that a failed
 * start says why) and the provider. Runs at import, before anything can start the backend.
 */
export function install(platform: Platform): void {
  state.platform = platform;
  registerTrainingKernels();
  const shipped = tf.findBackendFactory('wasm');
  if (shipped && !wasmStarted()) {
    const factory = platform.backendFactory ? platform.backendFactory(shipped) : async () => shipped();
    tf.removeBackend('wasm');
    tf.registerBackend(
      'wasm',
      async () => {
        try {
          return await factory();
        } catch (e) {
          state.initError = message(e);
          throw e;
        }
      },
      // tfjs-backend-wasm's own priority, so tf.ready() picks backends as before.
      2,
    );
  }
  registerBackendProvider(wasmBackend);
}
