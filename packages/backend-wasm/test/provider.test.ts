// The provider in Node with the defaults: registration, what probe() reports before and after the
// backend starts, useBackend, and the settings that only make sense before it starts.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, backendProviders, probeBackends, useBackend } from '@resnet/core';
import { expect, test } from 'vitest';
import { MAX_THREADS, setThreadsCount, setWasmPaths, wasmBackend } from '../src/node.js';

const cores = Math.min(MAX_THREADS, os.availableParallelism());

test('importing registers the wasm provider (priority 20, between webgpu and cpu)', () => {
  expect(backendProviders()).toContain(wasmBackend);
  expect(wasmBackend).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', priority: 20 });
});

test('settings are checked before anything starts', () => {
  expect(() => setThreadsCount(0)).toThrow(ResNetError);
  expect(() => setThreadsCount(MAX_THREADS + 1)).toThrow(/integer from 1 to 8, got 9/);
  expect(() => setThreadsCount(1.5)).toThrow(/got 1.5/);
  expect(() => setWasmPaths({ 'tfjs-backend-wasm.wasm': 'a.wasm' } as never)).toThrow(
    /no entry for tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm/,
  );
  expect(() => setWasmPaths('')).toThrow(/ending with "\/"/);
});

test('probe() says what will run, without starting the backend', async () => {
  const status = await wasmBackend.probe();
  expect(tf.engine().registry['wasm']).toBeUndefined();
  expect(status).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', available: true });
  expect(status.device).toBe(`WebAssembly (SIMD, ${cores} thread${cores === 1 ? '' : 's'})`);
  expect(status.details).toMatchObject({ simd: 'yes', threads: String(cores), tfjs: tf.version_core, tfjsBackendWasm: '4.22.0' });
  expect(status.details!['ownKernels']).toMatch(
    /resnet-kernels-(threaded-)?simd\.wasm from .*wasm[\\/]resnet-kernels.* \(loads when the backend starts\)$/,
  );
  // The .wasm files come from the installed package, not from the network.
  expect(status.details!['wasmFiles']).toMatch(/@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]$/);
  expect(await probeBackends()).toEqual([status]);
});

test('useBackend("wasm") starts it with one thread per core (threaded SIMD build on worker_threads)', async () => {
  const status = await useBackend('wasm');
  expect(tf.getBackend()).toBe('wasm');
  expect(status.details).toMatchObject({ simd: 'yes', threads: String(cores) });
  expect(status.details!['binary']).toBe(cores > 1 ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm');
  expect(status.warnings).toBeUndefined();
  // The kernel module for the build's memory (shared when threaded) loaded from this package's wasm/.
  expect(status.details!['ownKernels']).toMatch(
    cores > 1 ? /^loaded: resnet-kernels-threaded-simd\.wasm from .*[\\/]wasm[\\/]/ : /^loaded: resnet-kernels-simd\.wasm from /,
  );
  // Its convolutions run on as many threads as XNNPACK: the calling one and a worker per other core.
  expect(status.details!['ownKernels']).toMatch(new RegExp(` on ${cores} threads?$`));
  const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
  expect((await y.data())[0]).toBe(64);
  y.dispose();
  // auto picks it: it is the only provider registered here.
  expect((await useBackend('auto')).name).toBe('wasm');
});

test('once started, the settings are refused with the reason', () => {
  expect(() => setThreadsCount(1)).toThrow(/setThreadsCount must be called before the wasm backend starts/);
  expect(() => setWasmPaths('/elsewhere/')).toThrow(ResNetError);
});
