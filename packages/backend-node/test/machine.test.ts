// The real path on this machine, no fakes: neither native package can load here (their install scripts download libtensorflow; see the package README).
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@resnet/backend-cpu';
import { ResNetError, backendProviders, probeBackends, useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { GPU_PACKAGE, CPU_PACKAGE, nodeBackend, nodeBackendConformanceStatus, nodeGpuBackend } from '../src/index.js';

/**
 * The optional peers are not installed by the workspace (autoInstallPeers is off); a machine where
 * someone installed them without their install scripts has them present without the native addon.
 */
function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const expectedReason = (pkg: string) =>
  resolvable(pkg)
    ? /is installed but its native (addon was never built|library failed to load)/
    : new RegExp(`^${pkg} is not installed \\((Cannot find|Could not resolve)`);

describe('on this machine', () => {
  test('importing the package loads neither native package and registers both providers', () => {
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
    expect(tf.getKernelsForBackend('tensorflow')).toHaveLength(0);
    const names = backendProviders().map((p) => [p.name, p.priority, p.tfjsBackend]);
    expect(names).toEqual([
      ['node-gpu', 50, 'tensorflow'],
      ['node', 40, 'tensorflow'],
      ['cpu', 10, 'cpu'],
    ]);
  });

  test('both probes report unavailable with the loader reason and how to install, without switching backend', async () => {
    await tf.setBackend('cpu');
    const [gpu, cpu] = await Promise.all([nodeGpuBackend.probe(), nodeBackend.probe()]);
    expect(tf.getBackend()).toBe('cpu');
    expect(gpu).toMatchObject({ name: 'node-gpu', tfjsBackend: 'tensorflow', available: false, details: { package: GPU_PACKAGE } });
    expect(cpu).toMatchObject({ name: 'node', tfjsBackend: 'tensorflow', available: false, details: { package: CPU_PACKAGE } });
    expect(gpu.reason).toMatch(expectedReason(GPU_PACKAGE));
    expect(cpu.reason).toMatch(expectedReason(CPU_PACKAGE));
    for (const [status, pkg] of [
      [gpu, GPU_PACKAGE],
      [cpu, CPU_PACKAGE],
    ] as const) {
      expect(status.reason).toMatch(new RegExp(`npm (install|rebuild) ${pkg}`));
      expect(status.reason).toContain('TFJS_NODE_BASE_URI');
    }
    if (!resolvable(GPU_PACKAGE)) {
      expect(gpu.reason).toContain('CUDA 11.2 and cuDNN 8.1');
      expect(gpu.reason).toContain(`npm install ${CPU_PACKAGE}`);
    }
    // A second probe gives the same answer without loading again.
    expect(await nodeGpuBackend.probe()).toEqual(gpu);
  });

  test("useBackend('node-gpu') and ('node') throw a ResNetError with the reason", async () => {
    const reason = (await nodeGpuBackend.probe()).reason!;
    const error = await useBackend('node-gpu').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResNetError);
    expect((error as Error).message).toBe(`resnet: the node-gpu backend cannot run here: ${reason}`);
    await expect(useBackend('node')).rejects.toThrow(/^resnet: the node backend cannot run here: @tensorflow\/tfjs-node /);
  });

  test("useBackend('auto') skips node-gpu and node and lands on cpu", async () => {
    expect((await probeBackends()).map((s) => [s.name, s.available])).toEqual([
      ['node-gpu', false],
      ['node', false],
      ['cpu', true],
    ]);
    expect((await useBackend('auto')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  test('the conformance suite is told to skip, with the reason', async () => {
    for (const backend of ['node-gpu', 'node'] as const) {
      const gate = await nodeBackendConformanceStatus(backend);
      expect(gate).toMatchObject({ backend, run: false, onGpu: false });
      expect(gate.skipped).toBe(gate.status.reason);
    }
  });
});
