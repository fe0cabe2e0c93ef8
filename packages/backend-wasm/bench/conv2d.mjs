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

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1,2' },
    net: { type: 'string', default: 'resnet20' },
    child: { type: 'string' },
  },
});

const BATCH = 128;
/** [name, x shape, filter shape, stride, count in the network] */
export const RESNET20_CONVS = [
  ['stem 3×3, 3 → 16, 32×32', [BATCH, 32, 32, 3], [3, 3, 3, 16], 1, 1],
  ['stage 1 3×3, 16 → 16, 32×32', [BATCH, 32, 32, 16], [3, 3, 16, 16], 1, 6],
  ['stage 2 first 3×3/2, 16 → 32', [BATCH, 32, 32, 16], [3, 3, 16, 32], 2, 1],
  ['stage 2 3×3, 32 → 32, 16×16', [BATCH, 16, 16, 32], [3, 3, 32, 32], 1, 5],
  ['stage 3 first 3×3/2, 32 → 64', [BATCH, 16, 16, 32], [3, 3, 32, 64], 2, 1],
  ['stage 3 3×3, 64 → 64, 8×8', [BATCH, 8, 8, 64], [3, 3, 64, 64], 1, 5],
];

const B50 = 8;
/** [name, x shape, filter shape, stride, count in the network]: ResNet-50 at 224×224, batch 8. */
export const RESNET50_CONVS = [
  ['stem 7×7/2, 3 → 64, 224×224', [B50, 224, 224, 3], [7, 7, 3, 64], 2, 1],
  ['conv2 1×1, 64 → 64, 56×56', [B50, 56, 56, 64], [1, 1, 64, 64], 1, 1],
  ['conv2 3×3, 64 → 64', [B50, 56, 56, 64], [3, 3, 64, 64], 1, 3],
  ['conv2 1×1, 64 → 256', [B50, 56, 56, 64], [1, 1, 64, 256], 1, 4],
  ['conv2 1×1, 256 → 64', [B50, 56, 56, 256], [1, 1, 256, 64], 1, 2],
  ['conv3 1×1/2, 256 → 128', [B50, 56, 56, 256], [1, 1, 256, 128], 2, 1],
  ['conv3 1×1/2, 256 → 512 (projection)', [B50, 56, 56, 256], [1, 1, 256, 512], 2, 1],
  ['conv3 3×3, 128 → 128, 28×28', [B50, 28, 28, 128], [3, 3, 128, 128], 1, 4],
  ['conv3 1×1, 128 → 512', [B50, 28, 28, 128], [1, 1, 128, 512], 1, 4],
  ['conv3 1×1, 512 → 128', [B50, 28, 28, 512], [1, 1, 512, 128], 1, 3],
  ['conv4 1×1/2, 512 → 256', [B50, 28, 28, 512], [1, 1, 512, 256], 2, 1],
  ['conv4 1×1/2, 512 → 1024 (projection)', [B50, 28, 28, 512], [1, 1, 512, 1024], 2, 1],
  ['conv4 3×3, 256 → 256, 14×14', [B50, 14, 14, 256], [3, 3, 256, 256], 1, 6],
  ['conv4 1×1, 256 → 1024', [B50, 14, 14, 256], [1, 1, 256, 1024], 1, 6],
  ['conv4 1×1, 1024 → 256', [B50, 14, 14, 1024], [1, 1, 1024, 256], 1, 5],
  ['conv5 1×1/2, 1024 → 512', [B50, 14, 14, 1024], [1, 1, 1024, 512], 2, 1],
  ['conv5 1×1/2, 1024 → 2048 (projection)', [B50, 14, 14, 1024], [1, 1, 1024, 2048], 2, 1],
  ['conv5 3×3, 512 → 512, 7×7', [B50, 7, 7, 512], [3, 3, 512, 512], 1, 3],
  ['conv5 1×1, 512 → 2048', [B50, 7, 7, 512], [1, 1, 512, 2048], 1, 3],
  ['conv5 1×1, 2048 → 512', [B50, 7, 7, 2048], [1, 1, 2048, 512], 1, 2],
];

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
