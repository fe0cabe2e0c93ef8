// ResNet-20's training step on the single-threaded SIMD build, where the C convolution
// (csrc/conv.c) takes the 3×3 layers after the stem (kernels/Conv2D.ts; conv2d.test.ts checks that
// routing), forward and, through Conv2DBackpropInput's stride-1 convolutions, backward: the step
// against the same step on cpu.
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { expect, test } from 'vitest';
import { setThreadsCount, wasmBackend } from '../src/node.js';
import { compare, trainStep } from './training_helpers.js';

test('ResNet-20 (option A) on one thread, with the C convolution, equals the step on cpu', async () => {
  setThreadsCount(1);
  const cpu = await trainStep('cpu', 'resnet20', {}, 2);
  const wasm = await trainStep('wasm', 'resnet20', {}, 2);
  expect(getThreadsCount()).toBe(1);
  expect((await wasmBackend.probe()).details!['ownKernels']).toMatch(/^loaded: resnet-kernels-simd\.wasm/);
  compare(wasm, cpu);
});
