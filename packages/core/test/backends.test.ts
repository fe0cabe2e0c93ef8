// Backend selection with fake providers: order, fallback (software) devices, reasons, no silent swap.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { probeBackends, registerBackendProvider, useBackend, type BackendProvider, type BackendStatus } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

function fake(name: string, priority: number, status: Partial<BackendStatus>): BackendProvider & { activated: number } {
  const full: BackendStatus = { name, tfjsBackend: 'cpu', available: true, ...status };
  const p = {
    name,
    tfjsBackend: 'cpu',
    priority,
    activated: 0,
    probe: async () => full,
    activate: async () => {
      if (!full.available) throw new Error(full.reason);
      p.activated++;
      await tf.setBackend('cpu');
      return full;
    },
  };
  return p;
}

test('auto: fastest available first, a software (fallback) device after native ones, reasons for the rest', async () => {
  const gpu = fake('fake-gpu', 90, { available: false, reason: 'no driver' });
  const soft = fake('fake-soft', 80, { fallback: true, device: 'SwiftShader' });
  const native = fake('fake-native', 70, {});
  [gpu, soft, native].forEach(registerBackendProvider);
  expect((await probeBackends()).slice(0, 3).map((s) => s.name)).toEqual(['fake-gpu', 'fake-soft', 'fake-native']);
  expect((await useBackend('auto')).name).toBe('fake-native');
  expect(soft.activated).toBe(0);
  // Asked for by name, a software device is used as asked.
  expect((await useBackend('fake-soft')).name).toBe('fake-soft');
  // Asked for by name, an unavailable backend is an error with its reason, not another backend.
  await expect(useBackend('fake-gpu')).rejects.toThrow('no driver');
});

test('a backend registered with tfjs directly works by its tfjs name; unknown names are refused', async () => {
  expect(await useBackend('cpu')).toMatchObject({ name: 'cpu', tfjsBackend: 'cpu', available: true });
  await expect(useBackend('nope')).rejects.toThrow(/unknown backend "nope"; registered: fake-gpu, fake-soft, fake-native, auto/);
});
