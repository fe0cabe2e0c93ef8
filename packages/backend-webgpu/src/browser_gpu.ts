// The GPU in browsers and web workers: navigator.gpu, with reasons that say what to enable.
import * as tf from '@tensorflow/tfjs-core';
import type { GpuLike } from './gpu_types.js';
import { errorMessage, powerPreference, type GpuSource } from './provider.js';

const ENABLE =
  'use Chrome or Edge 113+, Safari 26+ or Firefox 141+; in Chromium on Linux, and in headless Chromium, ' +
  'pass --enable-unsafe-webgpu (on Linux also --enable-features=Vulkan); in Firefox set dom.webgpu.enabled';

export async function browserGpu(): Promise<GpuSource> {
  const scope = globalThis as { navigator?: { gpu?: GpuLike; userAgent?: string }; isSecureContext?: boolean };
  const details: Record<string, string> = { tfjs: tf.version_core };
  if (scope.navigator?.userAgent) details.userAgent = scope.navigator.userAgent;
  const gpu = scope.navigator?.gpu;
  if (!gpu) {
    const reason =
      scope.isSecureContext === false
        ? 'no WebGPU: navigator.gpu exists only in secure contexts; serve the page over https or from localhost'
        : `no WebGPU: this browser has no navigator.gpu; ${ENABLE}`;
    return { details, reason };
  }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: powerPreference() });
    if (adapter) return { gpu, adapter, details };
  } catch (e) {
    return { details, reason: `no WebGPU adapter: navigator.gpu.requestAdapter() failed (${errorMessage(e)}); ${ENABLE}` };
  }
  return {
    details,
    reason:
      'no WebGPU adapter: navigator.gpu.requestAdapter() returned null (WebGPU is disabled or the GPU is blocklisted). ' +
      'In Chromium pass --enable-unsafe-webgpu (needed headless and on Linux; it falls back to SwiftShader without a GPU) ' +
      'and see chrome://gpu; in Firefox set dom.webgpu.enabled',
  };
}
