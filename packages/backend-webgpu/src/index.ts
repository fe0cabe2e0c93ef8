/**
 * TensorFlow.js's WebGPU backend for `@resnet/core`: browsers through `navigator.gpu`, Node through Dawn.
 *
 * Importing this package registers the backend as `webgpu`. This is the browser entry (and the
 * default one): the GPU is the browser's `navigator.gpu`. In Node the package's `node` export
 * condition loads ./node.js instead, which brings Dawn in.
 *
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-webgpu';
import { registerBackendProvider, type BackendProvider } from '@resnet/core';
import { browserGpu } from './browser_gpu.js';
import { registerWebGPUKernels } from './kernels/index.js';
import { createWebGPUProvider } from './provider.js';

export { SWIFTSHADER_ICD } from './provider.js';

/** The `webgpu` provider (priority 30: after the Node bindings, before wasm and cpu under `auto`). */
export const webgpuBackend: BackendProvider = createWebGPUProvider(browserGpu);

registerWebGPUKernels();
registerBackendProvider(webgpuBackend);
