/**
 * Picks the tfjs backend for the worker. The page's `auto` follows core's rule (`useBackend('auto')`):
 * WebGPU on a real GPU adapter, else wasm, and it says why. A software (fallback) adapter such as
 * SwiftShader is shown but not chosen: wasm trains far faster than a GPU emulated on the CPU. A
 * backend asked for by name is used or refused with core's reason, never swapped for another.
 */
import '@resnet/backend-webgpu';
import { setWasmPaths } from '@resnet/backend-wasm';
import { probeBackends, useBackend, type BackendStatus } from '@resnet/core';
import type { BackendChoice, BackendInfo, WasmPathMap } from '../protocol';

function adapterOf(status: BackendStatus | undefined): BackendInfo['adapter'] {
  if (status?.name !== 'webgpu' || !status.available) return undefined;
  const d = status.details ?? {};
  return {
    vendor: d['adapter.vendor'] ?? '',
    architecture: d['adapter.architecture'] ?? '',
    description: d['adapter.description'] ?? '',
    fallback: d['adapter.fallback'] === 'true',
  };
}

/** `adapter`: the WebGPU adapter to show, also when the page runs on wasm beside it. */
function info(status: BackendStatus, note: string, adapter = adapterOf(status)): BackendInfo {
  return {
    name: status.name,
    device: status.device ?? status.name,
    note,
    warnings: [...(status.warnings ?? [])],
    details: { ...(status.details ?? {}) },
    ...(adapter ? { adapter } : {}),
  };
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
  if (webgpu?.available && !webgpu.fallback) {
    const status = await useBackend('webgpu');
    return info(status, 'auto: this browser offers a WebGPU adapter, so WebGPU is used.');
  }
  const why = webgpu?.available
    ? `'s only WebGPU adapter is a software one (${webgpu.device ?? 'fallback adapter'}), slower than wasm on the CPU; pick WebGPU above to use it anyway`
    : ` offers no WebGPU adapter (${webgpu?.reason ?? '@resnet/backend-webgpu is not registered'})`;
  const status = await useBackend('wasm');
  return info(status, `auto: using wasm, because this browser${why}.`, adapterOf(webgpu));
}
