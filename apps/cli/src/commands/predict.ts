/** `resnet predict <image…>`: the top-5 classes of image files, with a trained run's weights and class names. */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { foldBatchNorm } from '@resnet/core';
import { loadImageForModel } from '@resnet/node-io';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { positiveIntegerFlag } from '../flags.js';
import type { Output } from '../output.js';
import { loadRun } from '../run_files.js';

export const PREDICT_HELP = `resnet predict <image.jpg|png …> --run <run folder or checkpoint.safetensors> [--top 5] [--backend …] [--json]

Classifies image files as evaluation does: shorter side resized, centre crop of the model's input
size (32×32 for CIFAR nets, 224×224 after resizing to 256 for ImageNet nets), the training set's
per-pixel mean subtracted. Prints the top classes with their probabilities.`;

export async function predictCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      run: { type: 'string' },
      top: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new UsageError('predict needs at least one image file');
  if (!values.run) throw new UsageError('--run is required: a folder made by resnet train, or its checkpoint.safetensors');
  const top = positiveIntegerFlag('top', values.top) ?? 5;
  backendFlag(values.backend);
  const status = await initBackend(values.backend);
  io.err(describeBackend(status));
  const run = await loadRun(values.run);
  const size = run.model.spec.inputSize;
  const k = Math.min(top, run.classNames.length);
  const results: { image: string; top: { class: string; index: number; probability: number }[] }[] = [];
  // BN folded into the convs once for every image: the same probabilities within float32 rounding.
  const folded = foldBatchNorm(run.model);
  try {
    for (const image of positionals) {
      const x = await loadImageForModel(image, { size, ...(size === 32 ? { resize: 32 } : {}), ...(run.mean ? { mean: run.mean } : {}) });
      const probs = tf.tidy(() => tf.softmax(folded.predict(tf.tensor4d(x, [1, size, size, 3]))));
      const p = (await probs.data()) as Float32Array;
      probs.dispose();
      const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, k);
      results.push({ image, top: order.map((i) => ({ class: run.classNames[i]!, index: i, probability: p[i]! })) });
    }
  } finally {
    folded.dispose();
    run.model.dispose();
  }
  if (values.json) {
    io.out(JSON.stringify(results, null, 2));
    return 0;
  }
  for (const r of results) {
    io.out(r.image);
    const width = Math.max(...r.top.map((t) => t.class.length));
    for (const t of r.top)
      io.out(`  ${t.class.padEnd(width)}  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${'█'.repeat(Math.round(t.probability * 30))}`);
  }
  return 0;
}
