/**
 * Backend selection, without importing any backend: each backend package registers a provider
 * here when imported, and `useBackend('auto' | name)` picks among them. The order for `auto` is the
 * fastest first: node-gpu → node → webgpu → onednn → wasm → cpu (the README's "Backends" section).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError } from '../errors.js';

/** What a backend reports about itself: whether it can run here, why not, and on what. */
export interface BackendStatus {
  /** Our name: `node-gpu`, `node`, `webgpu`, `wasm`, `cpu` (or a tfjs backend's own name). */
  readonly name: string;
  /** The tfjs engine's name for it (`tensorflow` for both Node bindings). */
  readonly tfjsBackend: string;
  readonly available: boolean;
  /** Why it cannot run here, and what to do about it, when `available` is false. */
  readonly reason?: string;
  /** The device or adapter it runs on, e.g. "SwiftShader Device (Subzero) (fallback adapter)". */
  readonly device?: string;
  /** Versions and features: SIMD, threads, CUDA version, … */
  readonly details?: Readonly<Record<string, string>>;
  /**
   * It runs on a software emulation of its device (e.g. WebGPU on SwiftShader): it works, but
   * `auto` prefers any backend after it that runs natively (wasm beats a software GPU by ~15×).
   */
  readonly fallback?: boolean;
  /** Problems that do not stop it but that the user should know (e.g. a GPU build running on the CPU). */
  readonly warnings?: readonly string[];
}

export interface BackendProvider {
  readonly name: string;
  readonly tfjsBackend: string;
  /** Higher runs first under `auto`: node-gpu 50, node 40, webgpu 30, onednn 25, wasm 20, cpu 10. */
  readonly priority: number;
  /** Whether it can run here, without switching to it. Never throws. */
  probe(): Promise<BackendStatus>;
  /** Makes it the engine's backend. Throws a `ResNetError` saying why it cannot. */
  activate(): Promise<BackendStatus>;
}

const providers = new Map<string, BackendProvider>();

/** Called by backend packages on import; a second registration of a name replaces the first. */
export function registerBackendProvider(provider: BackendProvider): void {
  providers.set(provider.name, provider);
}

/** Registered providers, fastest first. */
export function backendProviders(): BackendProvider[] {
  return [...providers.values()].sort((a, b) => b.priority - a.priority);
}

/** Every registered backend's status, fastest first (what `resnet doctor` prints). */
export async function probeBackends(): Promise<BackendStatus[]> {
  return Promise.all(backendProviders().map((p) => p.probe()));
}

/**
 * The order `auto` tries backends in: available ones, fastest first, those on a software (fallback)
 * device after every native one.
 */
export function autoOrder(statuses: readonly BackendStatus[]): BackendStatus[] {
  const available = statuses.filter((s) => s.available);
  return [...available.filter((s) => !s.fallback), ...available.filter((s) => s.fallback)];
}

/**
 * Switches the engine to `name`, or with `auto` to the fastest backend that can run here.
 * A backend registered with tfjs directly (e.g. `@tensorflow/tfjs-backend-webgl`) works by its
 * tfjs name. Throws, saying why, when the named backend cannot run; never silently uses another.
 */
export async function useBackend(name: string = 'auto'): Promise<BackendStatus> {
  if (name === 'auto') {
    const skipped: string[] = [];
    const statuses = await probeBackends();
    const order = autoOrder(statuses);
    for (const s of statuses) if (!s.available) skipped.push(`${s.name}: ${s.reason ?? 'unavailable'}`);
    for (const status of order) {
      try {
        return await providers.get(status.name)!.activate();
      } catch (e) {
        skipped.push(`${status.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    throw new ResNetError(
      `resnet: no backend can run here${skipped.length ? ` (${skipped.join('; ')})` : ''}; ` +
        'install a backend package: @resnet/backend-wasm (CPU), @resnet/backend-webgpu, @resnet/backend-node or @resnet/backend-cpu',
    );
  }
  const provider = providers.get(name);
  if (provider) return provider.activate();
  if (tf.findBackendFactory(name)) {
    if (!(await tf.setBackend(name))) throw new ResNetError(`resnet: the tfjs backend "${name}" failed to initialise`);
    return { name, tfjsBackend: name, available: true };
  }
  const known = [...providers.keys()];
  throw new ResNetError(
    `resnet: unknown backend "${name}"; ${known.length ? `registered: ${known.join(', ')}, auto` : 'no backend package is loaded'} ` +
      '(import @resnet/backend-wasm, -webgpu, -node or -cpu to register one)',
  );
}
