/**
 * What both entry points share: the training kernels, the settings (where the .wasm files are, how
 * many threads) and the `wasm` provider for @resnet/core. The entry points differ only in the
 * `Platform` they install: `node.ts` loads the .wasm files from the installed packages and runs the
 * threaded build on worker_threads; `index.ts` (browsers, bundlers) leaves tfjs's to tfjs and
 * fetches the package's own kernel module (own_kernels.ts) from where setWasmPaths says.
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
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KERNEL_BINARIES, attachOwnKernels, type KernelBinary, type KernelSource, type OwnKernelsState } from './own_kernels.js';
import { OWN_KERNELS, registerTrainingKernels } from './register_kernels.js';

export { KERNEL_BINARIES, type KernelBinary } from './own_kernels.js';

/** The three binaries tfjs-backend-wasm ships, by the name `setWasmPaths` maps. */
export const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
export type WasmBinary = (typeof WASM_BINARIES)[number];
/**
 * A directory (URL prefix) holding the files, or a map from each file name to its URL: the three of
 * tfjs and, optionally, this package's two kernel modules (`KERNEL_BINARIES`).
 */
export type WasmPaths = string | Readonly<Record<WasmBinary, string> & Partial<Record<KernelBinary, string>>>;

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
  /** Where this package's kernel modules come from, and how they are read. */
  kernels: KernelSource;
}

interface State {
  platform: Platform | undefined;
  paths: WasmPaths | undefined;
  threads: number | undefined;
  /** Why the last start-up failed, as the factory saw it. */
  initError: string | undefined;
  /** Problems that did not stop the backend (e.g. the threaded build failed and one thread runs). */
  warnings: string[];
  /** Whether the package's own kernels loaded when the backend last started, and from where or why not. */
  ownKernels: OwnKernelsState | undefined;
}

export const state: State = {
  platform: undefined,
  paths: undefined,
  threads: undefined,
  initError: undefined,
  warnings: [],
  ownKernels: undefined,
};

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
    const known: readonly string[] = [...WASM_BINARIES, ...KERNEL_BINARIES];
    const unknown = Object.keys(paths).filter((name) => !known.includes(name));
    if (unknown.length)
      throw new ResNetError(`resnet: setWasmPaths's map names ${unknown.join(', ')}, which is none of ${known.join(', ')}`);
  }
  tfjsSetWasmPaths(paths as Parameters<typeof tfjsSetWasmPaths>[0], usePlatformFetch);
  state.paths = paths;
}

/**
 * How many threads XNNPACK uses (1 to 8). The default is one per logical core, at most 8: in Node
 * `os.availableParallelism()`; in browsers `navigator.hardwareConcurrency` when the page is
 * cross-origin isolated (threads need SharedArrayBuffer), else 1. Call it before the backend starts.
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

/** The map's entry for one of this package's kernel modules, if setWasmPaths gave a map naming it. */
export function mappedKernelFile(name: KernelBinary): string | undefined {
  return typeof state.paths === 'object' ? state.paths[name] : undefined;
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
    const own = ownKernelsStatus(platform, simd, started, threads);
    warnings.push(...own.warnings);
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
        ownKernels: own.detail,
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

/**
 * The status of the package's own kernels: once started, whether they loaded (and from where, or why
 * not, with a warning); before, which module would load from where, or why none can.
 */
function ownKernelsStatus(platform: Platform, simd: boolean, started: boolean, threads: number): { detail: string; warnings: string[] } {
  if (started) {
    const own = state.ownKernels;
    if (!own) return { detail: 'not loaded: the backend was started before @resnet/backend-wasm was imported', warnings: [] };
    if (own.loaded) return { detail: `loaded: ${own.detail}`, warnings: own.warnings };
    return {
      detail: `not loaded: ${own.detail}`,
      warnings: [`the package's own wasm kernels did not load (${own.detail}); tfjs's kernels run instead`],
    };
  }
  if (!simd) return { detail: 'unavailable: this engine has no WebAssembly SIMD, which they are compiled for', warnings: [] };
  const binary: KernelBinary = threads > 1 ? 'resnet-kernels-threaded-simd.wasm' : 'resnet-kernels-simd.wasm';
  const located = platform.kernels.locate(binary);
  return {
    detail: 'error' in located ? `unavailable: ${located.error}` : `${binary} from ${located.location} (loads when the backend starts)`,
    warnings: [],
  };
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
        let backend: tf.KernelBackend;
        try {
          backend = await factory();
        } catch (e) {
          state.initError = message(e);
          throw e;
        }
        // Before tfjs runs any kernel on it (never throws: the status says what happened).
        state.ownKernels = await attachOwnKernels(backend as BackendWasm, await simdSupported(), platform.kernels, OWN_KERNELS);
        return backend;
      },
      // tfjs-backend-wasm's own priority, so tf.ready() picks backends as before.
      2,
    );
  }
  registerBackendProvider(wasmBackend);
}
