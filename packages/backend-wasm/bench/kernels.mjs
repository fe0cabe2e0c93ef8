#!/usr/bin/env node
// Each of the package's own C kernels (csrc/, wasm/) alone, against what runs without them (tfjs's
// kernels, and @resnet/core's composite ops where core has a fused kernel), at the shapes of a
// ResNet-20 training step at batch 128. "Without" is the same process set-up with the kernel module
// made unloadable (setWasmPaths maps it to a missing file), which is exactly what a backend whose
// module failed to load runs. The two run in alternating child processes, so that the machine's
// drift hits both alike. A benchmark, not a test. With the built package:
//
//   node packages/backend-wasm/bench/kernels.mjs [--rounds 3] [--reps 20] [--threads N] [--convs resnet20|resnet50]
//
// --convs measures the two convolution gradients on every layer shape of ResNet-20 at batch 128 or
// ResNet-50 at batch 8 (bench/shapes.mjs) instead: without the module they run on XNNPACK (the
// filter gradient as a convolution of Xᵀ with dYᵀ, the input gradient as a convolution of the
// zero-inserted dY with the flipped filter), with it in C.
//
// Prints the median milliseconds per call of each case, with and without, and the ratio.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '20' },
    threads: { type: 'string' },
    child: { type: 'string' }, // internal: 'with' or 'without'
    // The convolution gradients of ResNet-20's layers at batch 128, or of ResNet-50's at batch 8
    // (bench/conv2d.mjs's shapes), instead of the other kernels.
    convs: { type: 'string' },
  },
});

const BATCH = 128;
// ResNet-20's activations at batch 128: 32×32×16, 16×16×32, 8×8×64.
const STAGES = [
  [BATCH, 32, 32, 16],
  [BATCH, 16, 16, 32],
  [BATCH, 8, 8, 64],
];

async function child(mode) {
  const { setThreadsCount, setWasmPaths, WASM_BINARIES } = await import('@resnet/backend-wasm');
  const tf = await import('@tensorflow/tfjs-core');
  const core = await import('@resnet/core');
  if (args.threads !== undefined) setThreadsCount(Number(args.threads));
  if (mode === 'without') {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'kernels.wasm');
    setWasmPaths({
      ...Object.fromEntries(WASM_BINARIES.map((name) => [name, path.join(dist, name)])),
      'resnet-kernels-simd.wasm': missing,
      'resnet-kernels-threaded-simd.wasm': missing,
    });
  }
  const status = await core.useBackend('wasm');
  const loaded = status.details.ownKernels.startsWith('loaded');
  if (loaded !== (mode === 'with'))
    throw new Error(`expected the kernels ${mode === 'with' ? '' : 'not '}to load: ${status.details.ownKernels}`);
  const reps = Number(args.reps);

  /**
   * Median ms of `f` (which returns tensors to dispose), after two warm-up calls. wasm kernels are
   * synchronous: the call has finished when it returns. Nothing is read back (a read copies the
   * whole tensor off the heap into fresh memory, which costs more than the kernels measured).
   */
  const time = async (f) => {
    const run = async () => {
      const start = performance.now();
      const out = f();
      const ms = performance.now() - start;
      tf.dispose(out);
      return ms;
    };
    await run();
    await run();
    const ms = [];
    for (let i = 0; i < reps; i++) ms.push(await run());
    ms.sort((a, b) => a - b);
    return ms[Math.floor(reps / 2)];
  };

  const results = {};
  const rand = (shape, seed) => tf.randomNormal(shape, 0, 1, 'float32', seed);
  if (args.convs) {
    const { RESNET20_CONVS, RESNET50_CONVS } = await import('./shapes.mjs');
    const convs = args.convs === 'resnet50' ? RESNET50_CONVS : RESNET20_CONVS;
    for (const [name, xShape, wShape, stride] of convs) {
      const attrs = { strides: stride, pad: (wShape[0] - 1) / 2, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const info = tf.backend_util.computeConv2DInfo(xShape, wShape, stride, 1, attrs.pad);
      const x = rand(xShape, 1);
      const w = rand(wShape, 2);
      const dy = rand(info.outShape, 3);
      results[`filter gradient, ${name}`] = await time(() =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: wShape }),
      );
      // The stem's input gradient is never needed (its input is the image).
      if (xShape[3] > 3)
        results[`input gradient, ${name}`] = await time(() =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xShape }),
        );
      tf.dispose([x, w, dy]);
    }
    process.stdout.write(JSON.stringify({ device: status.device, results }) + '\n');
    return;
  }
  for (const shape of STAGES) {
    const c = shape[3];
    const tag = `[${shape.join(',')}]`;
    const x = rand(shape, 1);
    const r = rand(shape, 2);
    const gamma = tf.ones([c]);
    const beta = tf.zeros([c]);
    const v = rand([c], 3);
    const bn = (a, g, b) => core.batchNormTraining(a, g, b, 1e-5, true).y;
    results[`BN+ReLU forward ${tag}`] = await time(() => tf.tidy(() => bn(x, gamma, beta)));
    // tf.grads with dy given: the forward and the backward of the op itself, nothing around it.
    results[`BN+ReLU forward+backward ${tag}`] = await time(() => tf.tidy(() => tf.grads(bn)([x, gamma, beta], r)));
    results[`AddRelu forward ${tag}`] = await time(() => core.addRelu(x, r));
    results[`AddRelu forward+backward ${tag}`] = await time(() => tf.tidy(() => tf.grads((a, b) => core.addRelu(a, b))([x, r], r)));
    results[`Multiply by [C] ${tag}`] = await time(() => tf.mul(x, v));
    results[`Add [C] ${tag}`] = await time(() => tf.add(x, v));
    results[`Sub [C] ${tag}`] = await time(() => tf.sub(x, v));
    results[`(Multiply same shape ${tag})`] = await time(() => tf.mul(x, r));
    tf.dispose([x, r, gamma, beta, v]);
  }
  // The optimizer's step over all of ResNet-20's parameters (270k values in 65 tensors).
  const model = core.createModel('resnet20', { seed: 1 });
  const params = core.trainableParams(model.variables);
  const sgd = new core.SGD(params, { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const grads = Object.fromEntries(params.map(({ variable }, i) => [variable.name, rand(variable.shape, 10 + i)]));
  results['SGD step, all ResNet-20 parameters'] = await time(() => {
    sgd.step(grads);
    return [];
  });
  tf.dispose(Object.values(grads));
  sgd.dispose();
  model.dispose();
  process.stdout.write(JSON.stringify({ device: status.device, results }) + '\n');
}

function driver() {
  const rounds = Number(args.rounds);
  const self = fileURLToPath(import.meta.url);
  const runs = { with: [], without: [] };
  let device = '';
  for (let i = 0; i < rounds; i++) {
    for (const mode of ['without', 'with']) {
      const extra = [...(args.threads !== undefined ? ['--threads', args.threads] : []), ...(args.convs ? ['--convs', args.convs] : [])];
      const out = spawnSync(process.execPath, [self, '--child', mode, '--reps', args.reps, ...extra], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${mode} run failed:\n${out.stderr}`);
      const parsed = JSON.parse(out.stdout.trim().split('\n').pop());
      device = parsed.device;
      runs[mode].push(parsed.results);
      process.stderr.write(`round ${i + 1}/${rounds} ${mode} done\n`);
    }
  }
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(`Own wasm kernels alone, ResNet-20 shapes at batch ${BATCH}: Node ${process.versions.node}, ${os.cpus()[0]?.model ?? ''}`);
  console.log(`${device}; median of ${args.reps} calls, then the median of ${rounds} alternating rounds\n`);
  console.log(`${'case'.padEnd(46)} ${'without (ms)'.padStart(12)} ${'with (ms)'.padStart(10)} ${'speed-up'.padStart(9)}`);
  for (const name of Object.keys(runs.with[0])) {
    const before = median(runs.without.map((r) => r[name]));
    const after = median(runs.with.map((r) => r[name]));
    console.log(
      `${name.padEnd(46)} ${before.toFixed(2).padStart(12)} ${after.toFixed(2).padStart(10)} ${(before / after).toFixed(2).padStart(8)}×`,
    );
  }
}

if (args.child) await child(args.child);
else driver();
