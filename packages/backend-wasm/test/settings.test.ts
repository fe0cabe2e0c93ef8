// setWasmPaths and setThreadsCount in Node, in a process of their own (each test file is a fork):
// a missing .wasm file is reported by probe() and refused by activate() with the reason, without
// breaking a later start from the right place; one thread runs the single-threaded SIMD build.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, useBackend } from '@resnet/core';
import { expect, test } from 'vitest';
import { setThreadsCount, setWasmPaths, wasmBackend } from '../src/node.js';

const installed =
  path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep;

test('a directory without the .wasm files: unavailable, naming the file', async () => {
  const missing = path.join(installed, 'no-such-dir') + path.sep;
  setWasmPaths(missing);
  const status = await wasmBackend.probe();
  expect(status.available).toBe(false);
  expect(status.reason).toContain(`${missing}tfjs-backend-wasm-simd.wasm does not exist`);
  expect(status.details!['wasmFiles']).toBe(missing);
  await expect(wasmBackend.activate()).rejects.toThrow(ResNetError);
  await expect(useBackend('wasm')).rejects.toThrow(/the wasm backend cannot run here: the .wasm file .* does not exist/);
  expect(tf.engine().registry['wasm']).toBeUndefined();
});

test('an http URL is refused in Node, which reads the files from disk', async () => {
  setWasmPaths('https://cdn.example/tfjs-wasm/');
  expect((await wasmBackend.probe()).reason).toMatch(
    /Node reads the .wasm files from disk, but setWasmPaths gave the URL https:\/\/cdn.example/,
  );
});

test('setWasmPaths with a file: URL, and one thread: the single-threaded SIMD build', async () => {
  setWasmPaths(new URL(`file://${installed.split(path.sep).join('/')}`).href);
  setThreadsCount(1);
  expect((await wasmBackend.probe()).device).toBe('WebAssembly (SIMD, 1 thread)');
  const status = await useBackend('wasm');
  expect(status).toMatchObject({ available: true, device: 'WebAssembly (SIMD, 1 thread)' });
  expect(status.details).toMatchObject({ threads: '1', binary: 'tfjs-backend-wasm-simd.wasm' });
  // The single-threaded build's memory is not shared: the kernel module built for it loads.
  expect(status.details!['ownKernels']).toMatch(
    /^loaded: resnet-kernels-simd\.wasm from .*[\\/]wasm[\\/]resnet-kernels-simd\.wasm on 1 thread$/,
  );
  const bn = tf
    .engine()
    .runKernel<
      tf.Tensor[]
    >('ResNetBatchNormTraining', { x: tf.tensor4d([1, 2, 3, 6], [1, 2, 2, 1]), scale: tf.tensor1d([2]), offset: tf.tensor1d([1]) }, { varianceEpsilon: 0, relu: true });
  // mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5; y = 2·(x − 3)/√3.5 + 1, then ReLU.
  expect(Array.from(await bn[1]!.data())).toEqual([3]);
  expect(Array.from(await bn[2]!.data())).toEqual([3.5]);
  const expected = [1, 2, 3, 6].map((v) => Math.max(0, (2 * (v - 3)) / Math.sqrt(3.5) + 1));
  Array.from(await bn[0]!.data()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  tf.dispose(bn);
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const g = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'same')))(tf.ones([2, 2, 1, 1]));
  // dW[a, b] = Σ x over the positions the tap (a, b) reaches: [1+2+3+4, 2+4, 3+4, 4]
  expect(Array.from(await g.data())).toEqual([10, 6, 7, 4]);
  tf.dispose([x, g]);
});
