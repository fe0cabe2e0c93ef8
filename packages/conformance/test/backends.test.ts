// The suite on every backend this machine can run, in Node. A backend that cannot run here
// (no native module, no oneDNN, no Vulkan driver) is reported SKIPPED with its reason, never replaced.
import '@resnet/backend-wasm';
import '@resnet/backend-webgpu';
import '@resnet/backend-node';
import '@resnet/backend-onednn';
import { backendProviders } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { formatReport, runConformance } from '../src/index.js';
import { fusedBatchNormNotes } from './notes.js';

const providers = new Map(backendProviders().map((p) => [p.name, p]));

describe.each(['onednn', 'wasm', 'webgpu', 'node-gpu', 'node'])('conformance on %s (Node)', (name) => {
  test('every case matches the cpu reference, with no tensor left behind', async (ctx) => {
    const provider = providers.get(name);
    expect(provider, `${name} registers a provider`).toBeDefined();
    const status = await provider!.probe();
    // CI installs oneDNN and sets RESNET_ONEDNN_REQUIRED=1: there a missing onednn is a failure, not a skip.
    if (name === 'onednn' && process.env.RESNET_ONEDNN_REQUIRED === '1')
      expect(status.available, `onednn must run in CI: ${status.reason}`).toBe(true);
    if (!status.available) {
      console.log(`conformance: ${name} vs cpu\nSKIPPED: ${status.reason}`);
      ctx.skip(`${name} cannot run here: ${status.reason}`);
      return;
    }
    const report = await runConformance({ backend: name });
    console.log(formatReport(report));
    expect(
      report.failed,
      report.results
        .filter((r) => r.message)
        .map((r) => `${r.name}: ${r.message}`)
        .join('\n'),
    ).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(28);
    // wasm runs core's fused batch norm in @resnet/backend-wasm's own C kernels (its wasm/ module).
    if (name === 'wasm') expect(fusedBatchNormNotes(report.results)).toEqual(['fused kernel']);
  }, 900_000);
});
