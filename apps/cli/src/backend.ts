/**
 * The backends the CLI can compute on: importing each backend package registers its provider with
 * @resnet/core; `--backend` picks one by name, `auto` (the default) the fastest that runs here.
 * They are imported only by the commands that compute (a third of a second `models` need not pay).
 */
import { useBackend, type BackendStatus } from '@resnet/core';
import { UsageError } from './errors.js';

export const BACKEND_NAMES = ['auto', 'node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const;

/** `--backend`'s value, checked (a usage error names the choices). */
export function backendFlag(value: string): string {
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got "${value}"`);
  return value;
}

let loaded: Promise<unknown> | undefined;

/** Registers every backend package's provider (once). */
export function loadBackends(): Promise<unknown> {
  loaded ??= Promise.all([import('@resnet/backend-cpu'), import('@resnet/backend-wasm'), import('@resnet/backend-webgpu'), import('@resnet/backend-node')]);
  return loaded;
}

/** Switches to the backend and returns what it reports (device, warnings). */
export async function initBackend(name = 'auto'): Promise<BackendStatus> {
  await loadBackends();
  return useBackend(name);
}

/** One line for stderr: "backend wasm (WebAssembly, SIMD, 1 thread)" plus any warnings. */
export function describeBackend(status: BackendStatus): string {
  const warnings = (status.warnings ?? []).map((w) => `\nresnet: warning: ${w}`).join('');
  return `backend ${status.name}${status.device ? ` (${status.device})` : ''}${warnings}`;
}
