/**
 * TensorFlow.js on libtensorflow for `@resnet/core`: `node-gpu` (CUDA) and `node` (CPU), loaded lazily.
 *
 * Registers `node-gpu` (`@tensorflow/tfjs-node-gpu`, CUDA) and `node` (`@tensorflow/tfjs-node`, CPU),
 * both optional peer dependencies loaded only when probed or activated: importing this package never
 * fails, and a missing or broken install shows up as a reason in `probe()`, never as a crash.
 *
 * @packageDocumentation
 */
import { registerBackendProvider, type BackendStatus } from '@resnet/core';
import { createNodeProviders, type NodeProviders } from './providers.js';

export { createNodeProviders, failureReason, CPU_DEVICE, type NodeProviderOptions, type NodeProviders } from './providers.js';
export { classifyLoadError, CPU_PACKAGE, GPU_PACKAGE, type ImportModule, type LoadFailureKind, type NodePackage } from './load.js';
export { GPU_REQUIREMENTS, parseLdconfig, parseNvidiaSmi, type CudaEnvironment, type Exec, type Gpu } from './system.js';

const defaults = createNodeProviders();

/** `node-gpu`: @tensorflow/tfjs-node-gpu, priority 50. */
export const nodeGpuBackend = defaults.nodeGpu;
/** `node`: @tensorflow/tfjs-node, priority 40. */
export const nodeBackend = defaults.node;

registerBackendProvider(nodeGpuBackend);
registerBackendProvider(nodeBackend);

export interface NodeConformanceStatus {
  readonly backend: 'node-gpu' | 'node';
  /** Whether the conformance suite should run this backend here. */
  readonly run: boolean;
  /** Why it skips, when `run` is false. */
  readonly skipped?: string;
  /** TensorFlow runs on a GPU (node-gpu with a usable CUDA setup). */
  readonly onGpu: boolean;
  /** The full probe: device, versions, warnings (e.g. the silent CPU fallback). */
  readonly status: BackendStatus;
}

/**
 * Whether the conformance suite can run `node-gpu` (default) or `node` here, or the reason to skip.
 * A GPU build on the CPU still runs (the same kernels on libtensorflow), with its warning in
 * `status.warnings`, unless `requireGpu` is set.
 */
export async function nodeBackendConformanceStatus(
  backend: 'node-gpu' | 'node' = 'node-gpu',
  options: { readonly requireGpu?: boolean; readonly providers?: NodeProviders } = {},
): Promise<NodeConformanceStatus> {
  const providers = options.providers ?? defaults;
  const status = await (backend === 'node-gpu' ? providers.nodeGpu : providers.node).probe();
  const onGpu = status.available && status.details?.['GPU in use'] === 'yes';
  if (!status.available) return { backend, run: false, skipped: status.reason ?? `${backend} is unavailable`, onGpu, status };
  if (options.requireGpu && !onGpu) {
    return { backend, run: false, skipped: status.warnings?.[0] ?? `${backend} does not run on a GPU here`, onGpu, status };
  }
  return { backend, run: true, onGpu, status };
}
