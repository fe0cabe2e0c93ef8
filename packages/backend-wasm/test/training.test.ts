// A whole training step (forward in training mode, softmax cross-entropy, tf.variableGrads, one SGD
// step with momentum and weight decay) on wasm against the same step on cpu, from the same weights
// and batch, for each kind of network: basic blocks with option A (ResNet-20), bottlenecks with
// options B and C and the ImageNet stem (conv 7×7/2 + max pool), and a plain net.
import '@tensorflow/tfjs-backend-cpu';
import type { CreateOptions } from '@resnet/core';
import { describe, test } from 'vitest';
import '../src/node.js';
import { compare, trainStep } from './training_helpers.js';

// Narrow ImageNet nets at 128×128: the last stage is 4×4, so BN sees 64 values per channel at batch 4.
const NARROW_IMAGENET = { widths: [4, 4, 4, 4], stemWidth: 8, inputSize: 128, numClasses: 10 };

const CASES: Array<[string, string, CreateOptions, number]> = [
  ['ResNet-20 (basic blocks, option A: pixel-skipping slices, channel padding)', 'resnet20', {}, 2],
  ['ResNet-20, option B, narrow', 'resnet20', { widths: [4, 8, 16], stemWidth: 4, shortcut: 'B' }, 4],
  ['bottleneck ResNet-50, option B (7×7/2 stem, max pool)', 'resnet50', NARROW_IMAGENET, 4],
  ['bottleneck ResNet-50, option C', 'resnet50', { ...NARROW_IMAGENET, shortcut: 'C' }, 4],
  ['plain-18 (no shortcuts)', 'plain18', NARROW_IMAGENET, 4],
];

describe('one training step on wasm equals the same step on cpu', () => {
  test.each(CASES)('%s', async (_label, name, options, batch) => {
    const cpu = await trainStep('cpu', name, options, batch);
    const wasm = await trainStep('wasm', name, options, batch);
    compare(wasm, cpu);
  });
});
