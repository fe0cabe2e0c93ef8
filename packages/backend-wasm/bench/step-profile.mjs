#!/usr/bin/env node
// Where a wasm training step's time goes: one ResNet training step (forward in training mode,
// softmax cross-entropy, tf.variableGrads, SGD with momentum) timed whole, then once under
// tf.profile, kernel times summed by kernel name. A benchmark, not a test. With the built package:
//
//   node packages/backend-wasm/bench/step-profile.mjs [--model resnet20] [--batch 128] [--threads N]
//
// Prints the step's wall time, images/s, and the kernels that took the most time.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainableParams, useBackend } from '@resnet/core';
import { setThreadsCount } from '@resnet/backend-wasm';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    batch: { type: 'string', default: '128' },
    threads: { type: 'string' },
    top: { type: 'string', default: '16' },
  },
});
const batch = Number(args.batch);
if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a whole number ≥ 1, got ${args.batch}`);
if (args.threads !== undefined) setThreadsCount(Number(args.threads));
const status = await useBackend('wasm');
const model = createModel(args.model, { seed: 1 });
const side = /^resnet(18|34|50|101|152)$/.test(args.model) ? 224 : 32;
const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
const x = tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 1);
const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
function step() {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })));
  sgd.step(grads);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}
for (let i = 0; i < 2; i++) step();
const walls = [];
for (let i = 0; i < 3; i++) {
  const start = performance.now();
  step();
  walls.push(performance.now() - start);
}
const wall = walls.sort((a, b) => a - b)[1];
const profile = await tf.profile(step);
const byKernel = new Map();
for (const k of profile.kernels) {
  const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  entry.ms += k.kernelTimeMs;
  entry.calls++;
  byKernel.set(k.name, entry);
}
const total = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0);
console.log(`${args.model} training step, batch ${batch}, ${status.device}; own kernels: ${status.details?.ownKernels}`);
console.log(
  `step ${wall.toFixed(0)} ms (median of 3) = ${((batch / wall) * 1000).toFixed(1)} images/s; kernels under tf.profile ${total.toFixed(0)} ms`,
);
console.log(`${'kernel'.padEnd(32)} ${'ms'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(6)}`);
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(args.top)))
  console.log(
    `${name.padEnd(32)} ${e.ms.toFixed(1).padStart(8)} ${((e.ms / total) * 100).toFixed(1).padStart(5)}% ${String(e.calls).padStart(6)}`,
  );
