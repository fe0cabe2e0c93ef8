#!/usr/bin/env node
// Where a training step's time and memory go on onednn (not a benchmark: `pnpm bench` is).
//   node bench/step-profile.mjs [model=resnet20] [batch=128]
// Prints each native call's total time in one step after warm-ups, the step's wall time, the
// pool's reuse and the peak of live pooled bytes, and the peak RSS over 10 steps.
// RESNET_ONEDNN_POOL_MB=0 shows the cost of fresh buffers (page faults).
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainStep, trainableParams, useBackend } from '@resnet/core';
import { loadNative } from '../dist/index.js';

const [model = 'resnet20', batchArg = '128'] = process.argv.slice(2);
const size = Number(batchArg);
const status = await useBackend('onednn');
const addon = loadNative().addon;
const calls = new Map();
for (const name of Object.keys(addon)) {
  const f = addon[name];
  if (typeof f !== 'function' || name === 'info' || name === 'release') continue;
  addon[name] = (...args) => {
    const t0 = performance.now();
    const r = f(...args);
    const e = calls.get(name) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t0;
    calls.set(name, e);
    return r;
  };
}
const net = createModel(model, { seed: 1 });
const sgd = new SGD(trainableParams(net.variables), { learningRate: 0.1 });
const images = Float32Array.from({ length: size * 32 * 32 * 3 }, (_, i) => Math.sin(i));
const labels = Int32Array.from({ length: size }, (_, i) => i % 10);
const batch = { images, labels, indices: labels, size, views: 1, height: 32, width: 32, channels: 3 };
const backend = tf.backend();
let peakRss = 0;
const times = [];
for (let i = 0; i < 10; i++) {
  if (i === 9) calls.clear();
  backend.resetPeak();
  const t0 = performance.now();
  await trainStep(net, sgd, batch, 0.1, i);
  times.push(performance.now() - t0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const stats = backend.poolStats();
const native = [...calls.values()].reduce((a, e) => a + e.ms, 0);
console.log(`${model} batch ${size} on ${status.device}`);
console.log(`step ms (10 steps): ${times.map((t) => t.toFixed(0)).join(' ')}; last step native ${native.toFixed(0)} ms`);
console.log(
  `peak RSS ${(peakRss / 1e6).toFixed(0)} MB; peak live pooled ${(stats.peakLiveBytes / 1e6).toFixed(0)} MB; pool ${(stats.bytes / 1e6).toFixed(0)} MB; buffers allocated ${stats.allocated}, reused ${stats.reused}`,
);
for (const [name, e] of [...calls].sort((a, b) => b[1].ms - a[1].ms))
  console.log(`  ${name.padEnd(24)} ${String(e.n).padStart(5)} calls ${e.ms.toFixed(1).padStart(8)} ms`);
