import * as tf from '@tensorflow/tfjs-core';
import { backendProviders, probeBackends, useBackend } from '@resnet/core';
import { expect, test } from 'vitest';
import { cpuBackend } from '../src/index.js';

test('importing registers the cpu provider; useBackend selects it by name and under auto', async () => {
  expect(backendProviders()).toContain(cpuBackend);
  expect(await probeBackends()).toEqual([expect.objectContaining({ name: 'cpu', available: true })]);
  expect(await useBackend('cpu')).toMatchObject({ name: 'cpu', tfjsBackend: 'cpu' });
  expect(tf.getBackend()).toBe('cpu');
  expect((await useBackend('auto')).name).toBe('cpu');
});

test('an unknown backend is refused, naming the registered ones', async () => {
  await expect(useBackend('webgl2')).rejects.toThrow(/unknown backend "webgl2"; registered: cpu, auto/);
});
