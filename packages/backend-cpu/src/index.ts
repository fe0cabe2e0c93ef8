/**
 * TensorFlow.js's plain-JavaScript cpu backend for `@resnet/core`: runs everywhere, the reference, slow.
 *
 * Importing this package registers the backend as `cpu`. It is the reference every other backend is
 * compared with, but it is slow: for training use `@resnet/backend-wasm` (CPU) or
 * `@resnet/backend-webgpu`.
 *
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, registerBackendProvider, type BackendProvider, type BackendStatus } from '@resnet/core';

const STATUS: BackendStatus = {
  name: 'cpu',
  tfjsBackend: 'cpu',
  available: true,
  device: 'JavaScript (main thread)',
  details: { tfjs: tf.version_core },
};

export const cpuBackend: BackendProvider = {
  name: 'cpu',
  tfjsBackend: 'cpu',
  priority: 10,
  probe: async () => STATUS,
  async activate() {
    if (!(await tf.setBackend('cpu'))) throw new ResNetError('resnet: the tfjs cpu backend failed to initialise');
    await tf.ready();
    return STATUS;
  },
};

registerBackendProvider(cpuBackend);
