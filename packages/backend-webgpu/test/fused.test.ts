// The residual add + ReLU, its gradient, and the SGD-with-momentum update as WGSL kernels
// (src/kernels/add_relu.ts, sgd.ts), against the cpu backend: values, gradients through core's
// addRelu, dispatches, and the tensor count. Skipped without an adapter, with the reason printed.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ADD_RELU_KERNEL, RELU_GRAD_KERNEL, SGD, SGD_MOMENTUM_KERNEL, addRelu, hasFusedAddRelu, useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { webgpuBackend } from '../src/node.js';
import { counting } from './dispatches.js';

const status = await webgpuBackend.probe();
const available = status.available;
if (!available) console.log(`SKIPPED: the fused-kernel tests, because there is no WebGPU adapter here: ${status.reason}`);

const SHAPE = [2, 3, 3, 5];
const N = SHAPE.reduce((a, b) => a * b, 1);
/** Values of both signs and exact zeros; A_NAN has a NaN too (the ReLU passes it, its gradient masks it: [NaN > 0] = 0). */
const A = Float32Array.from({ length: N }, (_, i) => (i % 9 === 0 ? 0 : Math.cos(2 * i)));
const A_NAN = A.map((v, i) => (i === 7 ? NaN : v));
const B = Float32Array.from({ length: N }, (_, i) => (i % 9 === 0 ? 0 : Math.sin(3 * i + 1)));
const R = Float32Array.from({ length: N }, (_, i) => Math.cos(5 * i + 2));

/** relu(a + b) and the gradients of Σ relu(a + b)·R through `f`, read back; + 0 turns −0 into 0. */
async function valuesAndGrads(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Promise<number[][]> {
  const [y, da, db] = tf.tidy(() => {
    const a = tf.tensor(A, SHAPE);
    const b = tf.tensor(B, SHAPE);
    const r = tf.tensor(R, SHAPE);
    const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, z), r)))([a, b]);
    return [f(a, b), ga!, gb!];
  });
  const out = [];
  for (const t of [y!, da!, db!]) out.push(Array.from(await t.data(), (v) => v + 0));
  tf.dispose([y!, da!, db!]);
  return out;
}

describe('ResNetAddRelu and ResNetReluGrad on webgpu', () => {
  test.skipIf(!available)("core's addRelu runs them, with the cpu backend's values and gradients (exactly)", async () => {
    await useBackend('cpu');
    const cpu = await valuesAndGrads((a, b) => tf.relu(tf.add(a, b)));
    await useBackend('webgpu');
    expect(hasFusedAddRelu()).toBe(true);
    const before = tf.memory().numTensors;
    const webgpu = await valuesAndGrads(addRelu);
    expect(tf.memory().numTensors).toBe(before);
    expect(webgpu).toEqual(cpu);
  });

  test.skipIf(!available)('one dispatch each', async () => {
    await useBackend('webgpu');
    const a = tf.tensor(A_NAN, SHAPE);
    const b = tf.tensor(B, SHAPE);
    const forward = counting(() => tf.engine().runKernel(ADD_RELU_KERNEL, { a, b }, {}) as tf.Tensor);
    const backward = counting(() => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: a, y: forward.result }, {}) as tf.Tensor);
    expect([forward.dispatches, backward.dispatches]).toEqual([1, 1]);
    const y = Array.from(await forward.result.data());
    const g = Array.from(await backward.result.data());
    expect(y).toEqual(Array.from(A_NAN, (v, i) => Math.max(Math.fround(v + B[i]!), 0)));
    expect(Number.isNaN(y[7]!)).toBe(true);
    // dy·[y > 0]: the mask is y's, so the NaN of y masks its dy to 0.
    expect(g).toEqual(Array.from(A_NAN, (d, i) => (y[i]! > 0 ? d : 0)));
    tf.dispose([a, b, forward.result, backward.result]);
  });

  test.skipIf(!available)('tensors of different shapes are refused with both shapes named', async () => {
    await useBackend('webgpu');
    const a = tf.ones([2, 3]);
    const b = tf.ones([3, 2]);
    expect(() => tf.engine().runKernel(ADD_RELU_KERNEL, { a, b }, {})).toThrow(
      'webgpu: ResNetAddRelu needs float32 a and b of one shape, got float32 [2, 3] and float32 [3, 2]',
    );
    tf.dispose([a, b]);
  });
});

describe('ResNetSgdMomentum on webgpu', () => {
  const W = Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 3);
  const V = Float32Array.from({ length: N }, (_, i) => Math.cos(7 * i) * 0.1);
  const G = Float32Array.from({ length: N }, (_, i) => Math.sin(11 * i + 1));
  const attrs = { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 };

  test.skipIf(!available)("the contract's float32 order (d = g + wd·w, v' = m·v + lr·d, w' = w − v'), in two dispatches", async () => {
    await useBackend('webgpu');
    const [w, v, g] = [W, V, G].map((values) => tf.tensor(values, SHAPE));
    const { result, dispatches } = counting(
      () => tf.engine().runKernel(SGD_MOMENTUM_KERNEL, { variable: w!, velocity: v!, gradient: g! }, attrs) as tf.Tensor[],
    );
    expect(dispatches).toBe(2);
    const [nextV, nextW] = [Array.from(await result[0]!.data()), Array.from(await result[1]!.data())];
    const f = Math.fround;
    const [lr, m, wd] = [f(attrs.learningRate), f(attrs.momentum), f(attrs.weightDecay)];
    for (let i = 0; i < N; i++) {
      const d = f(G[i]! + f(wd * W[i]!));
      const v1 = f(f(m * V[i]!) + f(lr * d));
      // Within one float32 rounding (a GPU may fuse a multiply and an add).
      expect(Math.abs(nextV[i]! - v1), `v'[${i}]`).toBeLessThanOrEqual(2 ** -23 * Math.abs(v1));
      expect(nextW[i], `w'[${i}]`).toBe(f(W[i]! - nextV[i]!));
    }
    tf.dispose([w!, v!, g!, ...result]);
  });

  test.skipIf(!available)(
    "SGD.step runs it (two dispatches per parameter), with the cpu backend's result, and no tensor left behind",
    async () => {
      const run = async (backend: string) => {
        await useBackend(backend);
        const w = tf.variable(tf.tensor(W, SHAPE));
        const b = tf.variable(tf.tensor(G.slice(0, 5), [5]));
        const sgd = new SGD(
          [
            { name: 'conv.weight', variable: w },
            { name: 'bn.bias', variable: b },
          ],
          { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, weightDecayScope: 'weights-only' },
        );
        const before = tf.memory().numTensors;
        let dispatches = 0;
        for (let step = 0; step < 3; step++) {
          const grads = {
            [w.name]: tf.tensor(
              G.map((v) => v * (step + 1)),
              SHAPE,
            ),
            [b.name]: tf.tensor(V.slice(0, 5), [5]),
          };
          dispatches += backend === 'webgpu' ? counting(() => sgd.step(grads)).dispatches : (sgd.step(grads), 0);
          tf.dispose(Object.values(grads));
        }
        expect(tf.memory().numTensors).toBe(before);
        const values = [Array.from(await w.data()), Array.from(await b.data())];
        sgd.dispose();
        tf.dispose([w, b]);
        return { values, dispatches };
      };
      const cpu = await run('cpu');
      const webgpu = await run('webgpu');
      expect(webgpu.dispatches).toBe(3 * 2 * 2);
      cpu.values.forEach((ref, k) =>
        ref.forEach((r, i) =>
          expect(Math.abs(webgpu.values[k]![i]! - r), `parameter ${k}[${i}]`).toBeLessThanOrEqual(4 * 2 ** -23 * Math.abs(r)),
        ),
      );
    },
  );
});
