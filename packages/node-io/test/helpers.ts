// Shared test utilities: temporary directories and a small set of named tensors.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

const created: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'resnet-node-io-'));
  created.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Files in `dir`, sorted; temporary files of atomic writes would show up here. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export function sampleTensors(): tf.NamedTensorMap {
  return {
    'conv1/kernel': tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => i / 8 - 1),
      [2, 2, 2, 3],
    ),
    'bn1/moving_mean': tf.tensor1d([0.5, -0.25, 3]),
    'fc/step': tf.tensor1d([7, -3], 'int32'),
    mask: tf.tensor1d([true, false, true], 'bool'),
  };
}

export async function sampleArtifacts(): Promise<{ artifacts: tf.io.ModelArtifacts; tensors: tf.NamedTensorMap }> {
  const tensors = sampleTensors();
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return {
    tensors,
    artifacts: {
      modelTopology: { class_name: 'ResNet', config: { depth: 18 } },
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-core v4.22.0',
      convertedBy: null,
      userDefinedMetadata: { dataset: 'cifar10' },
      weightSpecs: specs,
      weightData: data,
    },
  };
}

/** Names, dtypes, shapes and values of tensors as plain data, for toEqual comparisons. */
export function decodedValues(map: tf.NamedTensorMap): Record<string, { dtype: string; shape: number[]; values: unknown }> {
  const out: Record<string, { dtype: string; shape: number[]; values: unknown }> = {};
  for (const [name, t] of Object.entries(map)) out[name] = { dtype: t.dtype, shape: t.shape, values: Array.from(t.dataSync()) };
  return out;
}
