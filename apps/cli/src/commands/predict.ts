/** `resnet predict <image…>`: the top-5 classes of image files, with a trained run's weights and class names. */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, foldBatchNorm, type ResNet, type StrideIn } from '@resnet/core';
import { FileIOError, loadImageForModel } from '@resnet/node-io';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { positiveIntegerFlag } from '../flags.js';
import type { Output } from '../output.js';
import { loadPretrainedModel } from '../pretrained_model.js';
import { folderSizes } from '../data.js';
import { loadRun } from '../run_files.js';

export const PREDICT_HELP = `resnet predict <image.jpg|png …> --run <run folder or checkpoint.safetensors> [--top 5] [--backend …] [--json]
resnet predict <image …> --weights <name or .pth> [--model resnet50] [--stride-in 1x1|3x3] [--top 5] [--json]

Classifies image files. With --run (a run of resnet train): as evaluation does, shorter side
resized, centre crop of the model's input size (32×32 for CIFAR nets, 224×224 after resizing to
256 for ImageNet nets), the training set's per-pixel mean subtracted, the run's class names.

With --weights: published ImageNet weights by name (see resnet weights; downloaded into the cache
the first time, checked) or a PyTorch .pth/.pt file (torch.save). ImageNet's class names, and the
weights' own preprocessing (torchvision's: resize 256, or 232 for the V2 weights, centre crop 224,
ImageNet mean and std). A file the catalogue does not name needs --model, and --stride-in 3x3 for
torchvision's bottleneck nets (ResNet-50/101/152), whose tensors fit either layout.

Prints the top classes with their probabilities. An image that cannot be read or decoded is
named on stderr with the reason (with --json, an entry with "error" instead of "top"); the other
images are still classified, and the exit code is 1.
  --run        a folder made by resnet train, or its checkpoint.safetensors
  --weights    a published weights name (resnet weights) or a .pth/.pt file
  --model      the network of a --weights file the catalogue does not name (e.g. resnet50)
  --stride-in  1x1|3x3: where a bottleneck's stride is (3x3 for torchvision's ResNet-50/101/152)
  --top        how many classes to print (default 5)
  --backend    auto|node-gpu|node|webgpu|onednn|wasm|cpu (default auto)
  --json       the results as JSON`;

interface Source {
  model: ResNet;
  classNames: readonly string[];
  /** How an image becomes the model's input (loadImageForModel's options besides the size; without resize, core's evalResizeFor). */
  image: { resize?: number; mean?: Float32Array | readonly number[]; std?: Float32Array | readonly number[] };
  description: string;
}

async function fromRun(target: string): Promise<Source> {
  const run = await loadRun(target);
  return {
    model: run.model,
    classNames: run.classNames,
    // The shorter side: as the run's test images were resized (a folder's: the paper's 256/224 at any crop side), else
    // loadImageForModel's default for the model's size (core's evalResizeFor: 32 for the CIFAR nets, 256 for 224).
    image: {
      ...(run.dataset?.spec.startsWith('folder:') ? { resize: folderSizes(run.model.spec.inputSize).evalResize } : {}),
      ...(run.mean ? { mean: run.mean } : {}),
      ...(run.std ? { std: run.std } : {}),
    },
    description: `weights: ${run.file}; ${run.model.spec.name}`,
  };
}

async function fromWeights(weights: string, model: string | undefined, strideIn: StrideIn | undefined, io: Output): Promise<Source> {
  const p = await loadPretrainedModel(weights, { ...(model ? { model } : {}), ...(strideIn ? { strideIn } : {}) }, io);
  return {
    model: p.model,
    classNames: p.classNames,
    image: { resize: p.preprocessing.resize, mean: p.preprocessing.mean, std: p.preprocessing.std },
    description: p.description,
  };
}

/** Every option `predict` takes (its help lists each: tested). */
export const PREDICT_OPTIONS = {
  run: { type: 'string' },
  weights: { type: 'string' },
  model: { type: 'string' },
  'stride-in': { type: 'string' },
  top: { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  json: { type: 'boolean', default: false },
} as const;

export async function predictCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: PREDICT_OPTIONS });
  if (positionals.length === 0) throw new UsageError('predict needs at least one image file');
  if (values.run !== undefined && values.weights !== undefined) throw new UsageError('give --run or --weights, not both');
  if (values.run === undefined && values.weights === undefined)
    throw new UsageError(
      '--run (a folder made by resnet train, or its checkpoint.safetensors) or --weights (a published name or a .pth) is required',
    );
  if (values.run !== undefined && (values.model !== undefined || values['stride-in'] !== undefined))
    throw new UsageError('--model and --stride-in go with --weights; a run knows its model');
  const strideIn = values['stride-in'];
  if (strideIn !== undefined && strideIn !== '1x1' && strideIn !== '3x3')
    throw new UsageError(`--stride-in must be 1x1 or 3x3, got "${strideIn}"`);
  const top = positiveIntegerFlag('top', values.top) ?? 5;
  backendFlag(values.backend);
  const status = await initBackend(values.backend);
  io.err(describeBackend(status));
  const source = values.run !== undefined ? await fromRun(values.run) : await fromWeights(values.weights!, values.model, strideIn, io);
  io.err(source.description);
  const size = source.model.spec.inputSize;
  // A net trained on grayscale images (the MNIST family) gets each image's luma.
  const channels = source.model.spec.inputChannels === 1 ? 1 : 3;
  const k = Math.min(top, source.classNames.length);
  type Result = { image: string; top: { class: string; index: number; probability: number }[] } | { image: string; error: string };
  const results: Result[] = [];
  const failed: string[] = [];
  // BN folded into the convs once for every image: the same probabilities within float32 rounding.
  const folded = foldBatchNorm(source.model);
  try {
    for (const image of positionals) {
      let x: Float32Array;
      try {
        x = await loadImageForModel(image, { size, channels, ...source.image });
      } catch (e) {
        // A file that cannot be read or decoded is reported, and the other images are still classified.
        if (!(e instanceof FileIOError || e instanceof ResNetError)) throw e;
        io.err(e.message);
        results.push({ image, error: e.message });
        failed.push(image);
        continue;
      }
      const probs = tf.tidy(() => tf.softmax(folded.predict(tf.tensor4d(x, [1, size, size, channels]))));
      const p = (await probs.data()) as Float32Array;
      probs.dispose();
      const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, k);
      results.push({ image, top: order.map((i) => ({ class: source.classNames[i]!, index: i, probability: p[i]! })) });
    }
  } finally {
    folded.dispose();
    source.model.dispose();
  }
  const code = failed.length > 0 ? 1 : 0;
  if (failed.length > 0)
    io.err(
      `resnet: ${failed.length} of ${positionals.length} image${positionals.length === 1 ? '' : 's'} could not be classified: ${failed.join(', ')}`,
    );
  if (values.json) {
    io.out(JSON.stringify(results, null, 2));
    return code;
  }
  for (const r of results) {
    if ('error' in r) continue;
    io.out(r.image);
    const width = Math.max(...r.top.map((t) => t.class.length));
    for (const t of r.top)
      io.out(`  ${t.class.padEnd(width)}  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${'█'.repeat(Math.round(t.probability * 30))}`);
  }
  return code;
}
