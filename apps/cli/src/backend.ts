/**
 * The backends the CLI can compute on: importing each backend package registers its provider with
 * @resnet/core; `--backend` picks one by name, `auto` (the default) the fastest that runs here.
 * They are imported only by the commands that compute (a third of a second `models` need not pay).
 */
import { backendProviders, useBackend, type BackendStatus } from '@resnet/core';
import { choiceFlag } from './flags.js';

export const BACKEND_NAMES = ['auto', 'node-gpu', 'node', 'webgpu', 'onednn', 'wasm', 'cpu'] as const;

/** `--backend`'s value, checked (a usage error names the choices). */
export function backendFlag(value: string): string {
  return choiceFlag('backend', value, BACKEND_NAMES)!;
}

let loaded: Promise<unknown> | undefined;

/** Registers every backend package's provider (once). */
export function loadBackends(): Promise<unknown> {
  loaded ??= Promise.all([
    import('@resnet/backend-cpu'),
    import('@resnet/backend-wasm'),
    import('@resnet/backend-webgpu'),
    import('@resnet/backend-node'),
    // The native CPU backend: importing it never throws; without its addon it reports why.
    import('@resnet/backend-onednn'),
  ]);
  return loaded;
}

/** What a backend reports, plus, under `auto`, a note on a faster backend that could not run here. */
export interface StartedBackend extends BackendStatus {
  /** "onednn … is not available here: <why, and the command that fixes it>" (one line). */
  readonly note?: string;
}

/**
 * Under `auto`: when the backend picked comes after onednn (wasm, cpu) and onednn cannot run here,
 * one line saying why and how to get it (the provider's reason names the command).
 */
async function fasterBackendNote(picked: BackendStatus): Promise<string | undefined> {
  const providers = backendProviders();
  const onednn = providers.find((p) => p.name === 'onednn');
  const pickedPriority = providers.find((p) => p.name === picked.name)?.priority;
  if (!onednn || picked.name === 'onednn' || pickedPriority === undefined || pickedPriority >= onednn.priority) return undefined;
  const status = await onednn.probe();
  if (status.available) return undefined; // it runs here but failed to start: useBackend's error path, not ours
  const reason = (status.reason ?? 'unavailable').split('\n')[0]!;
  return `onednn, the native CPU backend (oneDNN), is not available here, so ${picked.name} runs instead: ${reason}`;
}

/** Switches to the backend and returns what it reports (device, warnings, and under `auto` a note). */
export async function initBackend(name = 'auto'): Promise<StartedBackend> {
  await loadBackends();
  const status = await useBackend(name);
  const note = name === 'auto' ? await fasterBackendNote(status) : undefined;
  return note ? { ...status, note } : status;
}

/** One line for stderr: "backend wasm (WebAssembly, SIMD, 1 thread)", then any warnings and the note, a line each. */
export function describeBackend(status: StartedBackend): string {
  const warnings = (status.warnings ?? []).map((w) => `\nresnet: warning: ${w}`).join('');
  const note = status.note ? `\nresnet: note: ${status.note}` : '';
  return `backend ${status.name}${status.device ? ` (${status.device})` : ''}${warnings}${note}`;
}
