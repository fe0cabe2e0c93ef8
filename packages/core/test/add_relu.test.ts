// The residual addition + ReLU (Eqn. 1, Sec. 3.2): the fused kernels, when a backend registers them
// (here a JavaScript version for the cpu backend), give what relu(add) gives, forward and backward,
// run in the network in place of Add + Relu, and leave no tensor behind; without them the two tfjs
// ops run as before.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ADD_RELU_KERNEL, RELU_GRAD_KERNEL, addRelu, createModel, hasFusedAddRelu } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

function registerCpuKernels(): () => void {
  const read = (backend: unknown, t: tf.TensorInfo) => (backend as tf.KernelBackend).readSync(t.dataId) as Float32Array;
  tf.registerKernel({
    kernelName: ADD_RELU_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const a = read(backend, inputs['a']!);
      const b = read(backend, inputs['b']!);
      const y = a.map((v, i) => Math.max(v + b[i]!, 0));
      return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(
        inputs['a']!.shape,
        'float32',
        y,
      );
    },
  });
  tf.registerKernel({
    kernelName: RELU_GRAD_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const dy = read(backend, inputs['dy']!);
      const y = read(backend, inputs['y']!);
      return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(
        inputs['y']!.shape,
        'float32',
        dy.map((v, i) => (y[i]! > 0 ? v : 0)),
      );
    },
  });
  return () => {
    tf.unregisterKernel(ADD_RELU_KERNEL, 'cpu');
    tf.unregisterKernel(RELU_GRAD_KERNEL, 'cpu');
  };
}

let unregister: (() => void) | undefined;
afterEach(() => {
  unregister?.();
  unregister = undefined;
});

function valuesAndGrads(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const a = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(i)),
      [2, 3, 3, 4],
    );
    const b = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.cos(2 * i)),
      [2, 3, 3, 4],
    );
    const r = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(3 * i + 1)),
      [2, 3, 3, 4],
    );
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), r)))([a, b]);
    // + 0 makes −0 (a masked negative dy times 0 in the composite) equal to the fused kernel's +0.
    return [f(a, b), da!, db!].map((t) => (t.dataSync() as Float32Array).map((v) => v + 0));
  });
}

describe('addRelu', () => {
  test('without the kernels it is relu(add), and says so', () => {
    expect(hasFusedAddRelu()).toBe(false);
    const profile = valuesAndGrads(addRelu);
    expect(profile).toEqual(valuesAndGrads((a, b) => tf.relu(tf.add(a, b))));
  });

  test('with them: the same values and gradients, through the fused kernels, with no tensor left behind', async () => {
    const composite = valuesAndGrads((a, b) => tf.relu(tf.add(a, b)));
    unregister = registerCpuKernels();
    expect(hasFusedAddRelu()).toBe(true);
    const before = tf.memory().numTensors;
    const fused = valuesAndGrads(addRelu);
    expect(tf.memory().numTensors).toBe(before);
    expect(fused).toEqual(composite);
    const p = await tf.profile(() => valuesAndGrads(addRelu));
    expect(p.kernelNames).toContain(ADD_RELU_KERNEL);
    expect(p.kernelNames).toContain(RELU_GRAD_KERNEL);
    expect(p.kernelNames).not.toContain('Relu');
  });

  test('shapes that differ (a broadcast) take the composite path even with the kernels', async () => {
    unregister = registerCpuKernels();
    const p = await tf.profile(() => tf.tidy(() => addRelu(tf.ones([2, 3]), tf.ones([3]))));
    expect(p.kernelNames).not.toContain(ADD_RELU_KERNEL);
  });

  test('every residual block of a network ends in the fused kernel; a plain net has none', async () => {
    unregister = registerCpuKernels();
    const count = async (name: string) => {
      const model = createModel(name, { seed: 1, stemWidth: 4, widths: [4, 8, 16] });
      const p = await tf.profile(() => tf.tidy(() => model.apply(tf.ones([1, 32, 32, 3]) as tf.Tensor4D, { training: true })));
      model.dispose();
      return p.kernels.filter((k) => k.name === ADD_RELU_KERNEL).length;
    };
    expect(await count('resnet8')).toBe(3);
    expect(await count('plain8')).toBe(0);
  });
});
