#!/usr/bin/env node
// The C convolution (csrc/conv.c, on the package's thread pool) against tfjs-backend-wasm's XNNPACK
// Conv2D, both on as many threads as the backend runs, on every convolution shape of ResNet-20 at
// batch 128 (--net resnet20) or of ResNet-50 at batch 8 (--net resnet50, the paper's bottleneck
// with the stride in its first 1×1), each kernel called directly on the same heap. "fresh filter" makes a new filter tensor for every call, as a
// training step does (XNNPACK packs the weights of each new filter); "same filter" reuses one, as
// inference does. One child process per thread count. A benchmark, not a test. With the built package:
//
//   node packages/backend-wasm/bench/conv2d.mjs [--reps 8] [--threads 1,2] [--net resnet20|resnet50]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BATCH, B50, RESNET20_CONVS, RESNET50_CONVS } from './shapes.mjs';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1,2' },
    net: { type: 'string', default: 'resnet20' },
    child: { type: 'string' },
  },
});

async function child(threads) {
  const { setThreadsCount } = await import('@resnet/backend-wasm');
  const tf = await import('@tensorflow/tfjs-core');
  const { useBackend } = await import('@resnet/core');
  const { ownConv2D, ownConv2DInfo, shippedConv2D } = await import('../dist/kernels/Conv2D.js');
  const { ownKernelsOf } = await import('../dist/own_kernels.js');
  setThreadsCount(threads);
  const status = await useBackend('wasm');
  const backend = tf.backend();
  const own = ownKernelsOf(backend);
  if (!own) throw new Error(`the kernel module did not load: ${status.details.ownKernels}`);
  const reps = Number(args.reps);
  const rows = [];
  for (const [name, xShape, wShape, stride] of args.net === 'resnet50' ? RESNET50_CONVS : RESNET20_CONVS) {
    const x = tf.randomNormal(xShape, 0, 1, 'float32', 1);
    const filters = Array.from({ length: reps + 2 }, (_, i) => tf.randomNormal(wShape, 0, 0.1, 'float32', 10 + i));
    // As @resnet/core's conv_bn.ts pads: (k − 1) / 2 on every side (1 for 3×3, 3 for 7×7, 0 for 1×1).
    const attrs = { strides: stride, pad: (wShape[0] - 1) / 2, dataFormat: 'NHWC', dilations: 1 };
    const info = ownConv2DInfo(x, filters[0], attrs);
    const flops =
      2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * info.inChannels;
    const run = {
      xnnpack: (w) => shippedConv2D.kernelFunc({ inputs: { x, filter: w }, backend, attrs }),
      ours: (w) => ownConv2D(backend, own, x, w, info),
    };
    const result = { name, gflop: flops / 1e9 };
    // Alternating, so that drift hits both alike.
    const times = { xnnpack: { fresh: [], same: [] }, ours: { fresh: [], same: [] } };
    for (let i = 0; i < reps + 2; i++) {
      for (const kernel of ['xnnpack', 'ours']) {
        for (const mode of ['fresh', 'same']) {
          const w = mode === 'fresh' ? filters[i] : filters[0];
          const start = performance.now();
          const out = run[kernel](w);
          const ms = performance.now() - start;
          backend.disposeData(out.dataId);
          if (i >= 2) times[kernel][mode].push(ms);
        }
      }
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    for (const kernel of ['xnnpack', 'ours'])
      for (const mode of ['fresh', 'same']) result[`${kernel} ${mode}`] = median(times[kernel][mode]);
    rows.push(result);
    tf.dispose([x, ...filters]);
  }
  process.stdout.write(JSON.stringify({ device: status.device, rows }) + '\n');
}

function driver() {
  const self = fileURLToPath(import.meta.url);
  console.log(
    `Conv2D forward, ${args.net === 'resnet50' ? `ResNet-50 at batch ${B50}` : `ResNet-20 at batch ${BATCH}`}: XNNPACK (tfjs-backend-wasm 4.22) against csrc/conv.c, same threads; median ms of ${args.reps}`,
  );
  for (const threads of args.threads.split(',')) {
    const out = spawnSync(process.execPath, [self, '--child', threads, '--reps', args.reps, '--net', args.net], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`threads ${threads}: ${out.stderr}`);
    const { device, rows } = JSON.parse(out.stdout.trim().split('\n').pop());
    console.log(`\n${device}`);
    console.log(
      `${'layer'.padEnd(38)} ${'GFLOP'.padStart(6)}  ${'XNNPACK fresh'.padStart(13)} ${'ours fresh'.padStart(10)} ${'ratio'.padStart(6)}  ${'XNNPACK same'.padStart(12)} ${'ours same'.padStart(9)} ${'ratio'.padStart(6)}  ours GFLOP/s`,
    );
    for (const r of rows) {
      const f = (v) => v.toFixed(2);
      console.log(
        `${r.name.padEnd(38)} ${r.gflop.toFixed(3).padStart(6)}  ${f(r['xnnpack fresh']).padStart(13)} ${f(r['ours fresh']).padStart(10)} ${(r['xnnpack fresh'] / r['ours fresh']).toFixed(2).padStart(5)}×  ${f(r['xnnpack same']).padStart(12)} ${f(r['ours same']).padStart(9)} ${(r['xnnpack same'] / r['ours same']).toFixed(2).padStart(5)}×  ${(r.gflop / (r['ours fresh'] / 1000)).toFixed(1)}`,
      );
    }
  }
}

if (args.child) await child(Number(args.child));
else driver();
