// When the threaded build cannot start in Node (here: its .wasm file is missing), the
// single-threaded SIMD build runs, and the status says why.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@resnet/core';
import { afterAll, expect, test } from 'vitest';
import { setThreadsCount, setWasmPaths, wasmBackend } from '../src/node.js';

const installed = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'resnet-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('no threaded binary: one thread, with a warning naming the missing file', async () => {
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'])
    copyFileSync(path.join(installed, name), path.join(dir, name));
  setWasmPaths(dir + path.sep);
  setThreadsCount(2);
  expect(await wasmBackend.probe()).toMatchObject({ available: true, device: 'WebAssembly (SIMD, 1 thread)' });
  const status = await useBackend('wasm');
  expect(status.details).toMatchObject({ threads: '1', binary: 'tfjs-backend-wasm-simd.wasm', wasmFiles: dir + path.sep });
  expect(status.warnings).toEqual([
    expect.stringMatching(
      /^the threaded build cannot start: the .wasm file .*tfjs-backend-wasm-threaded-simd\.wasm does not exist.*; running on one thread$/,
    ),
  ]);
  const y = tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]));
  expect(Array.from(await y.data())).toEqual([4, 4, 4, 4, 4, 4]);
});
