/**
 * A native CPU backend for `@resnet/core` in Node: oneDNN (the library under PyTorch's CPU
 * convolutions) through a Node-API addon, for convolutions, batch norm, pooling, element-wise
 * arithmetic, reductions and matmul, on top of tfjs's cpu kernels for everything else.
 *
 * Importing the package registers the `onednn` provider; `useBackend('onednn')` (or `auto`) starts
 * it. When the addon is not built (no oneDNN on the machine), the provider says why and how to fix
 * it, `auto` moves on, and asking for it by name is refused with that reason.
 *
 * ```ts
 * import '@resnet/backend-onednn';
 * import { useBackend } from '@resnet/core';
 * const status = await useBackend('onednn');   // "oneDNN 2.6.3 (avx512_core, 2 threads)"
 * ```
 *
 * @packageDocumentation
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, registerBackendProvider, type BackendProvider, type BackendStatus } from '@resnet/core';
import type { OneDnnBackend } from './backend.js';
import { loadNative } from './native.js';
import { nativeKernelNames, registerOneDnn } from './register.js';

export { OneDnnBackend, type PoolStats } from './backend.js';
export { addonCandidates, loadNative, type NativeLoad } from './native.js';
export type { NativeAddon, NativeInfo } from './native_types.js';
export { nativeKernelNames } from './register.js';

/** The most threads accepted (oneDNN runs on OpenMP threads). */
export const MAX_THREADS = 1024;

const state: { threads: number | undefined } = { threads: undefined };

/** Threads from OMP_NUM_THREADS when set, else the machine's cores. */
function defaultThreads(): number {
  const env = Number(process.env.OMP_NUM_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : availableParallelism();
}

/**
 * How many threads oneDNN's kernels use (default: OMP_NUM_THREADS, else every core). Takes effect
 * at once, before or after the backend starts.
 */
export function setThreadsCount(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ResNetError(`resnet: the onednn thread count must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  state.threads = threads;
  const { addon } = loadNative();
  addon?.setThreads(threads);
}

/** The running backend instance, when `onednn` has started. */
export function onednnBackend(): OneDnnBackend | undefined {
  return tf.engine().registry['onednn'] as OneDnnBackend | undefined;
}

export async function onednnStatus(): Promise<BackendStatus> {
  const base = { name: 'onednn', tfjsBackend: 'onednn' } as const;
  const load = loadNative();
  if (!load.addon) return { ...base, available: false, reason: load.reason ?? 'the oneDNN addon did not load' };
  try {
    // The default thread count, applied once (setThreadsCount applies its own at once).
    if (state.threads === undefined) setThreadsCount(defaultThreads());
    const info = load.addon.info();
    return {
      ...base,
      available: true,
      device: `oneDNN ${info.version} (${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`,
      details: {
        onednn: info.version,
        isa: info.isa,
        threads: String(info.threads),
        nativeKernels: String(nativeKernelNames().length),
        addon: load.file ?? '',
        tfjs: tf.version_core,
      },
    };
  } catch (e) {
    return { ...base, available: false, reason: `the oneDNN addon loaded but failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export const onednnProvider: BackendProvider = {
  name: 'onednn',
  tfjsBackend: 'onednn',
  // After node-gpu (50), node (40) and a real GPU through WebGPU (30); before wasm (20): the README's
  // "Backends" section has the measured order.
  priority: 25,
  probe: onednnStatus,
  async activate() {
    const status = await onednnStatus();
    if (!status.available) throw new ResNetError(`resnet: the onednn backend cannot run here: ${status.reason}`);
    registerOneDnn(loadNative().addon!);
    if (!(await tf.setBackend('onednn'))) throw new ResNetError('resnet: the onednn backend failed to start');
    await tf.ready();
    return status;
  },
};

registerBackendProvider(onednnProvider);
