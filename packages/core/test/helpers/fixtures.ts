// Reads the PyTorch reference fixtures (test/fixtures/README.md): a state dict plus `__fixture__.*`
// tensors (input NHWC, logits in both BN modes, running statistics after one training forward).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32, type ResNetSpec, type TorchTensor } from '../../src/index.js';

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/pytorch');

export interface FixtureMeta {
  case: string;
  family: 'imagenet' | 'cifar';
  block: 'basic' | 'bottleneck';
  layers: number[];
  stemWidth: number;
  widths: number[];
  strideIn?: '1x1' | '3x3';
  shortcut: 'A' | 'B';
  classes: number;
  inputSize: number;
  batch: number;
}

export interface Fixture {
  meta: FixtureMeta;
  bytes: Uint8Array;
  stateDict: Map<string, TorchTensor>;
  extra: Map<string, TorchTensor>;
  spec: ResNetSpec;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => f.replace(/\.safetensors$/, ''))
    .sort();
}

export function loadFixture(name: string): Fixture {
  const bytes = new Uint8Array(readFileSync(path.join(FIXTURE_DIR, `${name}.safetensors`)));
  const file = parseSafetensors(bytes);
  const meta = JSON.parse(file.metadata['fixture']!) as FixtureMeta;
  const stateDict = new Map<string, TorchTensor>();
  const extra = new Map<string, TorchTensor>();
  for (const [key, t] of file.tensors) {
    const entry = { shape: t.shape, data: toFloat32(t) };
    if (key.startsWith('__fixture__.')) extra.set(key.slice('__fixture__.'.length), entry);
    else stateDict.set(key, entry);
  }
  const spec: ResNetSpec = {
    name: meta.case,
    family: meta.family,
    block: meta.block,
    stages: meta.layers,
    stemWidth: meta.stemWidth,
    widths: meta.widths,
    shortcut: meta.shortcut,
    strideIn: meta.strideIn ?? '1x1',
    numClasses: meta.classes,
    inputSize: meta.inputSize,
    inputChannels: 3,
  };
  return { meta, bytes, stateDict, extra, spec };
}

/** max|a − b| / max|b|: the relative error of a whole tensor (elementwise ratios blow up near zero). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / (scale || 1);
}
