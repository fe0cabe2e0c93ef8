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
  tf.registerBackend(BACKEND, () => new OneDnnBackend(addon, options.maxPoolBytes), 0);
}

/** The names of the kernels that run natively (for tests and `resnet doctor`). */
export function nativeKernelNames(): string[] {
  return NATIVE_KERNELS.map((k) => k.kernelName);
}
