// The suite where users meet WebGPU and wasm: headless Chromium (Debian's, --enable-unsafe-webgpu),
// through playwright-core. Skipped, with the reason, when Chromium is not installed.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERNEL_BINARIES, WASM_BINARIES } from '@resnet/backend-wasm';
import { chromiumAvailable, runInChromium } from '@resnet/browser-harness';
import { describe, expect, test } from 'vitest';
import type { ConformanceReport } from '../src/index.js';
import { fusedBatchNormNotes } from './notes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: conformance in Chromium: ${chromium.reason}`);

// The .wasm binaries ship in @tensorflow/tfjs-backend-wasm's dist folder (a dependency of
// @resnet/backend-wasm, so resolved from there) and, for its own kernels, in @resnet/backend-wasm's
// wasm/; the page fetches all of them beside the bundle (setWasmPaths('./') in browser/entry.ts).
const require = createRequire(import.meta.url);
const fromWasmPackage = createRequire(require.resolve('@resnet/backend-wasm'));
const wasmDist = path.dirname(fromWasmPackage.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const assets = Object.fromEntries([
  ...WASM_BINARIES.map((name) => [name, path.join(wasmDist, name)]),
  ...KERNEL_BINARIES.map((name) => [name, require.resolve(`@resnet/backend-wasm/wasm/${name}`)]),
]);

interface PageResult {
  userAgent: string;
  crossOriginIsolated: boolean;
  webgpu: { report: ConformanceReport; text: string };
  wasm: { report: ConformanceReport; text: string };
}

describe.skipIf(!chromium.available)('conformance in headless Chromium', () => {
  let result: Promise<PageResult> | undefined;
  const run = (): Promise<PageResult> =>
    (result ??= runInChromium<PageResult>(path.join(here, 'browser/entry.ts'), { assets, title: 'conformance' }));

  test.each(['webgpu', 'wasm'] as const)(
    '%s in the page matches the cpu reference on every case, no tensor left behind',
    async (backend) => {
      const page = await run();
      const { report, text } = page[backend];
      console.log(`${page.userAgent}\n${text}`);
      expect(report.skipped, `${backend} must run in Chromium`).toBeUndefined();
      expect(
        report.failed,
        report.results
          .filter((r) => r.message)
          .map((r) => `${r.name}: ${r.message}`)
          .join('\n'),
      ).toBe(0);
      expect(report.passed).toBeGreaterThanOrEqual(28);
      if (backend === 'webgpu') expect(report.device).toMatch(/\S/);
      // The page loaded @resnet/backend-wasm's own kernel module: core's batch norm ran fused there.
      if (backend === 'wasm') expect(fusedBatchNormNotes(report.results)).toEqual(['fused kernel']);
    },
    900_000,
  );
});
