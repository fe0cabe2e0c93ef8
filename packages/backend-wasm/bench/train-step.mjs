#!/usr/bin/env node
// Training speed of ResNet-20 (CIFAR, 32×32) on the wasm backend against tfjs's plain-JS cpu
// backend: one step is the forward pass in training mode, softmax cross-entropy, the gradients of
// every weight (tf.variableGrads) and one SGD step with momentum and weight decay, as in the paper.
// A benchmark, not a test: it prints images/s and the ratio. Run it with the built package:
//
//   pnpm bench:wasm                      # from the repository root: builds, then runs this
//   node packages/backend-wasm/bench/train-step.mjs [--batch 32] [--wasm-steps 10] [--cpu-steps 1] [--threads N]
//                                                   [--without-own-kernels]
//
// --without-own-kernels makes the package's C kernel module (wasm/) unloadable, as on a machine where
// it fails to load: tfjs's kernels and core's composite ops run, as before the module existed. Run
// it alternately with a default run to measure what the kernels change.
//
// The cpu backend needs about a minute or more per step at batch 32 on these machines, so by default
// it gets one warm-up step and one timed step; --cpu-steps 0 skips it.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainableParams } from '@resnet/core';
import { WASM_BINARIES, setThreadsCount, setWasmPaths, wasmBackend } from '@resnet/backend-wasm';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    'wasm-steps': { type: 'string', default: '10' },
    'wasm-warmup': { type: 'string', default: '3' },
    'cpu-steps': { type: 'string', default: '1' },
    'cpu-warmup': { type: 'string', default: '1' },
    threads: { type: 'string' },
    'without-own-kernels': { type: 'boolean', default: false },
  },
});
const count = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${args[name]}`);
  return n;
};
const batch = count('batch');
if (batch < 1) throw new Error(`--batch must be at least 1, got ${batch}`);
if (args.threads !== undefined) setThreadsCount(Number(args.threads));
if (args['without-own-kernels']) {
  const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  const missing = path.join(os.tmpdir(), 'no-such-dir', 'kernels.wasm');
  setWasmPaths({
    ...Object.fromEntries(WASM_BINARIES.map((name) => [name, path.join(dist, name)])),
    'resnet-kernels-simd.wasm': missing,
    'resnet-kernels-threaded-simd.wasm': missing,
  });
}

/** Seconds per step for `steps` timed steps after `warmup` untimed ones, on a fresh model. */
async function measure(backend, warmup, steps) {
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
  const model = createModel('resnet20', { seed: 1 });
  const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })));
    sgd.step(grads);
    const loss = (await value.data())[0]; // waits for the step to finish
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`${backend}: the loss is ${loss}`);
    return loss;
  };
  for (let i = 0; i < warmup; i++) {
    const start = performance.now();
    await step();
    process.stdout.write(`  ${backend} warm-up ${i + 1}/${warmup}: ${((performance.now() - start) / 1000).toFixed(2)} s\n`);
  }
  const seconds = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    seconds.push((performance.now() - start) / 1000);
    process.stdout.write(`  ${backend} step ${i + 1}/${steps}: ${seconds.at(-1).toFixed(2)} s\n`);
  }
  tf.dispose([x, labels]);
  sgd.dispose();
  model.dispose();
  const sorted = [...seconds].sort((a, b) => a - b);
  return { mean: seconds.reduce((a, b) => a + b, 0) / steps, median: sorted[Math.floor(steps / 2)] };
}

const status = await wasmBackend.probe();
console.log(
  `ResNet-20 training step, batch ${batch}, 32×32×3 — Node ${process.versions.node}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'})`,
);
console.log(`wasm: ${status.device}, tfjs ${tf.version_core}${status.available ? '' : ` — unavailable: ${status.reason}`}`);

const wasm = await measure('wasm', count('wasm-warmup'), Math.max(1, count('wasm-steps')));
const started = await wasmBackend.probe();
console.log(`  own kernels: ${started.details?.ownKernels}`);
for (const warning of started.warnings ?? []) console.log(`  warning: ${warning}`);
const cpuSteps = count('cpu-steps');
const cpu = cpuSteps > 0 ? await measure('cpu', count('cpu-warmup'), cpuSteps) : undefined;

const rate = (seconds) => batch / seconds;
console.log('');
console.log(`backend  steps  s/step (median)  images/s (median)  images/s (mean)`);
console.log(
  `wasm     ${String(count('wasm-steps')).padStart(5)}  ${wasm.median.toFixed(3).padStart(15)}  ${rate(wasm.median).toFixed(2).padStart(17)}  ${rate(wasm.mean).toFixed(2).padStart(15)}`,
);
if (cpu) {
  console.log(
    `cpu      ${String(cpuSteps).padStart(5)}  ${cpu.median.toFixed(3).padStart(15)}  ${rate(cpu.median).toFixed(3).padStart(17)}  ${rate(cpu.mean).toFixed(3).padStart(15)}`,
  );
  const ratio = cpu.median / wasm.median;
  console.log(`\nwasm / cpu: ${ratio.toFixed(1)}× (target ≥ 20×: ${ratio >= 20 ? 'met' : 'NOT met'})`);
}
