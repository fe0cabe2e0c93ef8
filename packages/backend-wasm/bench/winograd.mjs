#!/usr/bin/env node
// csrc/winograd.c's F(2×2, 3×3) against the direct C convolution (csrc/conv.c) on every 3×3
// stride-1 layer shape of ResNet-20 at batch 128 and ResNet-50 at batch 8 (bench/shapes.mjs),
// each called directly on the same heap, alternating; and the largest difference between the two
// outputs relative to the largest value. A benchmark, not a test. With the built package:
//
//   node packages/backend-wasm/bench/winograd.mjs [--threads N]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@resnet/backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { useBackend } from '@resnet/core';
import { setThreadsCount } from '@resnet/backend-wasm';
import { RESNET20_CONVS, RESNET50_CONVS } from './shapes.mjs';
const { ownConv2D, ownConv2DInfo, ownWinogradConv2D, winogradApplies } = await import('../dist/kernels/Conv2D.js');
const { ownKernelsOf } = await import('../dist/own_kernels.js');
const { values: args } = parseArgs({ options: { threads: { type: 'string' } } });
if (args.threads !== undefined) setThreadsCount(Number(args.threads));
const status = await useBackend('wasm');
console.log(`F(2×2, 3×3) against direct, ${status.device}; median ms of 6 calls`);
const be = tf.backend();
const own = ownKernelsOf(be);
for (const [name, xs, ws, st] of [...RESNET20_CONVS, ...RESNET50_CONVS]) {
  const x = tf.randomNormal(xs, 0, 1, 'float32', 1);
  const w = tf.randomNormal(ws, 0, 0.1, 'float32', 2);
  const info = ownConv2DInfo(x, w, { strides: st, pad: (ws[0] - 1) / 2, dataFormat: 'NHWC', dilations: 1 });
  if (!winogradApplies(info)) continue;
  const t = { direct: [], wino: [] };
  let a, b;
  for (let i = 0; i < 6; i++) {
    for (const k of ['direct', 'wino']) {
      const s = performance.now();
      const o = k === 'direct' ? ownConv2D(be, own, x, w, info) : ownWinogradConv2D(be, own, x, w, info);
      t[k].push(performance.now() - s);
      if (i === 5) {
        const v = be.readSync(o.dataId);
        if (k === 'direct') a = v;
        else b = v;
      }
      be.disposeData(o.dataId);
    }
  }
  let worst = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  const med = (l) => l.sort((p, q) => p - q)[3].toFixed(2);
  console.log(name.padEnd(36), 'direct', med(t.direct), 'wino', med(t.wino), 'rel diff', (worst / scale).toExponential(1));
  tf.dispose([x, w]);
}
