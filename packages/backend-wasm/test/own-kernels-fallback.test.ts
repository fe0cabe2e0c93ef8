// When the package's kernel module cannot load, the backend still starts and trains on tfjs's
// kernels (and core's composite ops), and the status says why: before the start (a missing file)
// and after it (a file that is not WebAssembly). Never silently.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining, hasFusedAddRelu, hasFusedBatchNormTraining, useBackend } from '@resnet/core';
import { afterAll, expect, test } from 'vitest';
import { WASM_BINARIES, setWasmPaths, wasmBackend } from '../src/node.js';

const installed = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
const tfjsFiles = Object.fromEntries(WASM_BINARIES.map((name) => [name, path.join(installed, name)])) as Record<
  (typeof WASM_BINARIES)[number],
  string
>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'resnet-kernels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing kernel module: probe() says which file, and the backend remains available', async () => {
  const missing = path.join(dir, 'nowhere.wasm');
  setWasmPaths({ ...tfjsFiles, 'resnet-kernels-simd.wasm': missing, 'resnet-kernels-threaded-simd.wasm': missing });
  const status = await wasmBackend.probe();
  expect(status.available).toBe(true);
  expect(status.details!['ownKernels']).toBe(
    `unavailable: the kernel module ${missing} does not exist (reinstall @resnet/backend-wasm, whose wasm/ holds it)`,
  );
});

test('a kernel module that does not compile: the backend runs on tfjs kernels, with a warning saying why', async () => {
  const broken = path.join(dir, 'broken.wasm');
  writeFileSync(broken, 'not WebAssembly');
  setWasmPaths({ ...tfjsFiles, 'resnet-kernels-simd.wasm': broken, 'resnet-kernels-threaded-simd.wasm': broken });
  const status = await useBackend('wasm');
  expect(status.available).toBe(true);
  expect(status.details!['ownKernels']).toMatch(new RegExp(`^not loaded: ${broken.replace(/[\\.]/g, '\\$&')} did not load: .+`));
  expect(status.warnings).toEqual([
    expect.stringMatching(/^the package's own wasm kernels did not load \(.*broken\.wasm did not load: .+\); tfjs's kernels run instead$/),
  ]);
  // None of the kernels that exist only with the module is registered: core runs its composite ops.
  expect(hasFusedBatchNormTraining('wasm')).toBe(false);
  expect(hasFusedAddRelu('wasm')).toBe(false);
  expect(tf.getKernel('ResNetSgdMomentum', 'wasm')).toBeUndefined();
  const { kernelNames } = await tf.profile(() =>
    tf.tidy(() => batchNormTraining(tf.ones([2, 2, 2, 4]) as tf.Tensor4D, tf.ones([4]), tf.zeros([4]), 1e-5, true).y),
  );
  expect(kernelNames).not.toContain('ResNetBatchNormTraining');
  expect(kernelNames).toContain('FusedBatchNorm');
  // A per-channel broadcast goes to the shipped kernel.
  const y = tf.mul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor1d([10, 100, 1000]));
  expect(Array.from(await y.data())).toEqual([10, 200, 3000, 40, 500, 6000]);
  y.dispose();
});
