/**
 * @resnet/backend-webgpu in Node: the same provider as the browser entry, on Dawn (the npm package
 * `webgpu`), which is set up as navigator.gpu on the first probe or activation. See dawn.ts for how
 * a Vulkan driver is found on Linux machines without a GPU (SwiftShader, from Debian's chromium).
 */
import '@tensorflow/tfjs-backend-webgpu';
import { registerBackendProvider, type BackendProvider } from '@resnet/core';
import { dawnGpu } from './dawn.js';
import { registerWebGPUKernels } from './kernels/index.js';
import { createWebGPUProvider } from './provider.js';

export { SWIFTSHADER_ICD } from './provider.js';

/** The `webgpu` provider (priority 30: after the Node bindings, before wasm and cpu under `auto`). */
export const webgpuBackend: BackendProvider = createWebGPUProvider(dawnGpu);

registerWebGPUKernels();
registerBackendProvider(webgpuBackend);
