/**
 * Registers the `onednn` tfjs backend: tfjs's cpu kernels under our name, so that every op works,
 * then the native ones over them (kernels/index.ts).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { OneDnnBackend } from './backend.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import { BACKEND } from './kernels/util.js';
import type { NativeAddon } from './native_types.js';

let registered = false;

function register(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** Registers the backend factory and every kernel once; `factory` makes the backend on first use. */
export function registerOneDnn(addon: NativeAddon, options: { maxPoolBytes?: number } = {}): void {
  if (registered) return;
  registered = true;
  for (const k of tf.getKernelsForBackend('cpu')) register({ ...k, backendName: BACKEND });
  for (const k of NATIVE_KERNELS) register(k);
  // Priority below cpu's (1): tf.ready() on its own never picks onednn; useBackend('onednn') does.
  tf.registerBackend(BACKEND, () => new OneDnnBackend(addon, options.maxPoolBytes ?? poolBytesFromEnv()), 0);
}

/** RESNET_ONEDNN_POOL_MB: the most megabytes of disposed buffers kept for reuse (default 1024). */
function poolBytesFromEnv(): number | undefined {
  const raw = process.env.RESNET_ONEDNN_POOL_MB;
  if (raw === undefined || raw === '') return undefined;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb < 0)
    throw new Error(`onednn: RESNET_ONEDNN_POOL_MB must be a number of megabytes ≥ 0, got ${JSON.stringify(raw)}`);
  return mb * 1024 * 1024;
}

/** The names of the kernels that run natively (for tests and `resnet doctor`). */
export function nativeKernelNames(): string[] {
  return NATIVE_KERNELS.map((k) => k.kernelName);
}
