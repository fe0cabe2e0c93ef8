// The conformance suite in a real browser page: WebGPU (Chromium's own, SwiftShader here) and wasm,
// each against the cpu backend in the same page. The .wasm binaries are served beside this bundle.
import '@resnet/backend-cpu';
import '@resnet/backend-webgpu';
import { setWasmPaths } from '@resnet/backend-wasm';
import { probeBackends } from '@resnet/core';
import { formatReport, runConformance, type ConformanceReport } from '../../src/index.js';

setWasmPaths('./');

async function suite(backend: string): Promise<{ report: ConformanceReport; text: string }> {
  const status = (await probeBackends()).find((s) => s.name === backend);
  if (!status?.available) {
    const report: ConformanceReport = {
      backend,
      reference: 'cpu',
      results: [],
      passed: 0,
      failed: 0,
      skipped: status?.reason ?? 'not registered',
    };
    return { report, text: formatReport(report) };
  }
  const report = await runConformance({ backend });
  return { report, text: formatReport(report) };
}

(globalThis as unknown as Record<string, unknown>)['__harnessResult'] = (async () => {
  const webgpu = await suite('webgpu');
  const wasm = await suite('wasm');
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    // Plain JSON for structured cloning out of the page.
    webgpu: JSON.parse(JSON.stringify(webgpu)) as typeof webgpu,
    wasm: JSON.parse(JSON.stringify(wasm)) as typeof wasm,
  };
})();
