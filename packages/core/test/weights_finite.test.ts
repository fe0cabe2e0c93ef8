// Every reader of a weights file refuses NaN and ±Inf (issue #15), on the decoded values and
// without a synchronous read-back of a tensor (src/weights/finite.ts says why): a PyTorch state
// dict, TensorFlow.js weights, and a training checkpoint. Each is made here, damaged in one place,
// and the model it was loaded into keeps its weights.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Training,
  checkFiniteWeights,
  createModel,
  exportStateDict,
  importStateDict,
  loadWeights,
  parseCheckpoint,
  resolveRecipe,
  saveWeights,
  serializeCheckpoint,
  syntheticDatasets,
  type ResNet,
  type TorchTensor,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

const MESSAGE = /weights for resnet8 hold 2 NaN or infinite values, first in "layer2\.0\.conv1\.weight" \(2 of 4608\): the file is damaged/;

beforeAll(useCpu);

/** Every weight's values, to compare before and after a refused load. */
async function snapshot(model: ResNet): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.variables) out.set(name, (await v.data()) as Float32Array);
  return out;
}

describe('checkFiniteWeights', () => {
  test('counts every bad value and names the first tensor holding one', () => {
    expect(() =>
      checkFiniteWeights('resnet8', [
        ['a', new Float32Array([1, 2])],
        ['b', new Float32Array([Number.POSITIVE_INFINITY, 0, Number.NaN])],
        ['c', new Float32Array([Number.NEGATIVE_INFINITY])],
      ]),
    ).toThrow('resnet: weights for resnet8 hold 3 NaN or infinite values, first in "b" (2 of 3)');
    expect(() => checkFiniteWeights('resnet8', [['a', new Float32Array([0, -1e38, 3e38])]])).not.toThrow();
  });
});

describe('the readers of weights refuse NaN and ±Inf and change nothing', () => {
  test('a PyTorch state dict (importStateDict: .pth and .safetensors)', async () => {
    const source = createModel('resnet8', { seed: 1 });
    const entries = await exportStateDict(source);
    source.dispose();
    const state = new Map<string, TorchTensor>();
    for (const e of entries) if (e.dtype === 'F32') state.set(e.name, { shape: e.shape, data: e.data as Float32Array });
    const conv = state.get('layer2.0.conv1.weight')!.data;
    conv[3] = Number.NaN;
    conv[70] = Number.NEGATIVE_INFINITY;
    const model = createModel('resnet8', { seed: 2 });
    const before = await snapshot(model);
    expect(() => importStateDict(model, state)).toThrow(MESSAGE);
    expect(await snapshot(model)).toEqual(before);
    model.dispose();
  });

  test('TensorFlow.js weights (loadWeights: model.json, IndexedDB)', async () => {
    let saved: tf.io.ModelArtifacts | undefined;
    const source = createModel('resnet8', { seed: 1 });
    await saveWeights(
      source,
      tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
    );
    source.dispose();
    const specs = saved!.weightSpecs!;
    let offset = 0;
    for (const spec of specs) {
      if (spec.name === 'layer2.0.conv1.weight') break;
      offset += spec.shape.reduce((a, b) => a * b, 1) * 4;
    }
    const data = new Float32Array((saved!.weightData as ArrayBuffer).slice(0));
    data[offset / 4 + 3] = Number.POSITIVE_INFINITY;
    data[offset / 4 + 9] = Number.NaN;
    const model = createModel('resnet8', { seed: 2 });
    const before = await snapshot(model);
    await expect(loadWeights(model, tf.io.fromMemory({ ...saved!, weightData: data.buffer }))).rejects.toThrow(MESSAGE);
    expect(await snapshot(model)).toEqual(before);
    model.dispose();
  });

  test('a training checkpoint (parseCheckpoint: --resume, eval, predict)', async () => {
    const { train, test, mean } = syntheticDatasets({ trainSize: 16, testSize: 8 });
    const model = createModel('resnet8', { seed: 1 });
    const training = new Training(model, { train, test, mean }, resolveRecipe('synthetic', model.spec, { iterations: 1, batchSize: 8 }));
    const checkpoint = await training.checkpoint();
    training.dispose();
    model.dispose();
    const weights = new Map(checkpoint.weights);
    const conv = weights.get('layer2.0.conv1.weight')!;
    const data = conv.data.slice();
    data[0] = Number.NaN;
    data[4607] = Number.NaN;
    weights.set('layer2.0.conv1.weight', { ...conv, data });
    // serializeCheckpoint records the damaged values' own SHA-256: only the values are wrong.
    const bytes = await serializeCheckpoint({ ...checkpoint, weights });
    await expect(parseCheckpoint(bytes, 'run/checkpoint.safetensors')).rejects.toThrow(MESSAGE);
  });
});
