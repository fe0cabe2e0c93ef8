/**
 * Picks the tfjs backend for the worker. The page's `auto` prefers WebGPU whenever the browser gives
 * an adapter (even a software one: the user sees it and can pick wasm), else wasm, and says why. A
 * backend asked for by name is used or refused with core's reason, never swapped for another.
 */
import '@resnet/backend-webgpu';
import { setWasmPaths } from '@resnet/backend-wasm';
import { probeBackends, useBackend, type BackendStatus } from '@resnet/core';
import type { BackendChoice, BackendInfo, WasmPathMap } from '../protocol';

function info(status: BackendStatus, note: string): BackendInfo {
  const d = status.details ?? {};
  const adapter =
    status.name === 'webgpu'
      ? {
          vendor: d['adapter.vendor'] ?? '',
          architecture: d['adapter.architecture'] ?? '',
          description: d['adapter.description'] ?? '',
          fallback: d['adapter.fallback'] === 'true',
        }
      : undefined;
  return { name: status.name, device: status.device ?? status.name, note, warnings: [...(status.warnings ?? [])], details: { ...d }, ...(adapter ? { adapter } : {}) };
}

export async function chooseBackend(choice: BackendChoice, wasmPaths: WasmPathMap): Promise<BackendInfo> {
  // Before anything can start the wasm backend: the .wasm files are where Vite emitted them.
  setWasmPaths(wasmPaths);
  if (choice !== 'auto') {
    const status = await useBackend(choice); // throws core's ResNetError naming the reason
    return info(status, `${choice} was asked for`);
  }
  const statuses = await probeBackends();
  const webgpu = statuses.find((s) => s.name === 'webgpu');
  if (webgpu?.available) {
    const status = await useBackend('webgpu');
    const software = status.fallback ? ' It is a software (fallback) adapter: wasm may train faster on this machine.' : '';
    return info(status, `auto: this browser offers a WebGPU adapter, so WebGPU is used.${software}`);
  }
  const why = webgpu?.reason ?? '@resnet/backend-webgpu is not registered';
  const status = await useBackend('wasm');
  return info(status, `auto: this browser offers no WebGPU adapter (${why}): using wasm.`);
}
