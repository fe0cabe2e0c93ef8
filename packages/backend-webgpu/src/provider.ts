// The provider both entry points register: probing, reporting the adapter, and switching tfjs to it.
// Where the GPU comes from (the browser's navigator.gpu, or Dawn in Node) is the entry point's part.
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ResNetError, type BackendProvider, type BackendStatus } from '@resnet/core';
import type { GpuAdapterInfoLike, GpuAdapterLike, GpuLike } from './gpu_types.js';

/** Where SwiftShader's Vulkan driver is on Debian and Ubuntu once `apt-get install chromium` ran. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** What an entry point found: the GPU and the adapter tfjs will get from it, or why there is none. */
export interface GpuSource {
  readonly gpu?: GpuLike;
  readonly adapter?: GpuAdapterLike;
  /** Why there is no adapter, and what to do about it. */
  readonly reason?: string;
  readonly details: Readonly<Record<string, string>>;
  readonly warnings?: readonly string[];
}

/** The limits tfjs-backend-webgpu requires from the device: reported, and requested as tfjs does. */
const TFJS_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;
/** Also reported: a tfjs program binds one storage buffer per input and output. */
const REPORTED_LIMITS = [...TFJS_LIMITS, 'maxStorageBuffersPerShaderStage'] as const;
/** Features that change what tfjs can do: kernel timings (tf.profile), f16 shaders, subgroups. */
const REPORTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups', 'bgra8unorm-storage'] as const;
/** Features tfjs-backend-webgpu asks for when the adapter has them. */
const TFJS_FEATURES = ['timestamp-query', 'bgra8unorm-storage'] as const;

/** The power preference tfjs-backend-webgpu uses, so that the adapter we report is the one it gets. */
export function powerPreference(): 'low-power' | 'high-performance' {
  try {
    return tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance';
  } catch {
    return 'high-performance';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function adapterInfo(adapter: GpuAdapterLike): GpuAdapterInfoLike {
  return adapter.info ?? {};
}

function isFallback(adapter: GpuAdapterLike): boolean {
  return Boolean(adapterInfo(adapter).isFallbackAdapter ?? adapter.isFallbackAdapter);
}

/**
 * "SwiftShader driver 5.0.0 [google swiftshader, swiftshader-device-subzero-] (fallback adapter)" from Dawn;
 * "google swiftshader (fallback adapter)" from Chromium, which leaves description and device empty.
 */
export function describeAdapter(info: GpuAdapterInfoLike, fallback: boolean): string {
  const vendor = [info.vendor, info.architecture].filter(Boolean).join(' ');
  const name = info.description || info.device || vendor || 'unnamed adapter';
  const ids = [vendor === name ? '' : vendor, info.device === name ? '' : info.device].filter(Boolean);
  return `${name}${ids.length ? ` [${ids.join(', ')}]` : ''}${fallback ? ' (fallback adapter)' : ''}`;
}

function adapterDetails(adapter: GpuAdapterLike): Record<string, string> {
  const info = adapterInfo(adapter);
  const details: Record<string, string> = {
    'adapter.vendor': info.vendor ?? '',
    'adapter.architecture': info.architecture ?? '',
    'adapter.device': info.device ?? '',
    'adapter.description': info.description ?? '',
    'adapter.fallback': String(isFallback(adapter)),
    'adapter.features': REPORTED_FEATURES.filter((f) => adapter.features.has(f)).join(', ') || 'none of ' + REPORTED_FEATURES.join(', '),
  };
  for (const limit of REPORTED_LIMITS) {
    const value = adapter.limits[limit];
    if (value !== undefined) details[`adapter.limits.${limit}`] = String(value);
  }
  return details;
}

/** The tfjs backend on `gpu`: what tfjs-backend-webgpu's own factory does, on a GPU we pass in. */
async function createTfjsBackend(gpu: GpuLike): Promise<WebGPUBackend> {
  const adapter = await gpu.requestAdapter({ powerPreference: powerPreference() });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null');
  const requiredLimits: Record<string, number> = {};
  for (const limit of TFJS_LIMITS) {
    const value = adapter.limits[limit];
    if (value !== undefined) requiredLimits[limit] = value;
  }
  const device = await adapter.requestDevice({
    requiredFeatures: TFJS_FEATURES.filter((f) => adapter.features.has(f)),
    requiredLimits,
  });
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
  type Args = ConstructorParameters<typeof WebGPUBackend>;
  return new WebGPUBackend(device as Args[0], info as Args[1]);
}

/**
 * A provider over `findGpu`, which is called once, on the first probe or activation. tfjs-backend-webgpu
 * registers its factory on import only when navigator.gpu already exists (browsers); otherwise (Node,
 * where Dawn is set up later) this registers the same factory once an adapter is found.
 */
export function createWebGPUProvider(findGpu: () => Promise<GpuSource>): BackendProvider {
  let probed: Promise<BackendStatus> | undefined;

  async function probeOnce(): Promise<BackendStatus> {
    const base = { name: 'webgpu', tfjsBackend: 'webgpu' } as const;
    let source: GpuSource;
    try {
      source = await findGpu();
    } catch (e) {
      return {
        ...base,
        available: false,
        reason: `looking for a WebGPU adapter failed: ${errorMessage(e)}`,
        details: { tfjs: tf.version_core },
      };
    }
    const { gpu, adapter } = source;
    if (!gpu || !adapter) {
      return { ...base, available: false, reason: source.reason ?? 'no WebGPU adapter', details: source.details };
    }
    try {
      if (!tf.findBackendFactory('webgpu')) tf.registerBackend('webgpu', () => createTfjsBackend(gpu), 3);
      const fallback = isFallback(adapter);
      const warnings = [...(source.warnings ?? [])];
      if (fallback) {
        warnings.push(
          'the adapter is a fallback (software) adapter such as SwiftShader: results are correct but it runs on the CPU, ' +
            'slowly; on a machine without a GPU, @resnet/backend-wasm is faster (auto prefers it)',
        );
      }
      return {
        ...base,
        available: true,
        // A software adapter: `auto` then prefers a native backend after this one (wasm).
        ...(fallback ? { fallback: true } : {}),
        device: describeAdapter(adapterInfo(adapter), fallback),
        details: { ...source.details, ...adapterDetails(adapter) },
        ...(warnings.length ? { warnings } : {}),
      };
    } catch (e) {
      return { ...base, available: false, reason: `the WebGPU adapter could not be read: ${errorMessage(e)}`, details: source.details };
    }
  }

  const probe = (): Promise<BackendStatus> => (probed ??= probeOnce());

  return {
    name: 'webgpu',
    tfjsBackend: 'webgpu',
    priority: 30,
    probe,
    async activate() {
      const status = await probe();
      if (!status.available) throw new ResNetError(`resnet: the webgpu backend cannot run here: ${status.reason ?? 'unavailable'}`);
      if (!(await tf.setBackend('webgpu'))) {
        throw new ResNetError(
          `resnet: the tfjs webgpu backend failed to initialise on ${status.device ?? 'the adapter'} (tfjs logged the cause above)`,
        );
      }
      await tf.ready();
      return status;
    },
  };
}
