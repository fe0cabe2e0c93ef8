import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FileIOError, fileSystem } from '../src/index.js';
import { decodedValues, listDir, removeTempDirs, sampleArtifacts, tempDir, useCpu } from './helpers.js';

beforeAll(useCpu);
afterEach(removeTempDirs);

async function saveWith(handler: tf.io.IOHandler, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (!handler.save) throw new Error('handler cannot save');
  return handler.save(artifacts);
}

async function loadWith(handler: tf.io.IOHandler): Promise<tf.io.ModelArtifacts> {
  if (!handler.load) throw new Error('handler cannot load');
  return handler.load();
}

function decode(artifacts: tf.io.ModelArtifacts): tf.NamedTensorMap {
  if (!artifacts.weightData || !artifacts.weightSpecs) throw new Error('no weights loaded');
  return tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
}

describe('fileSystem(dir) save and load', () => {
  test('round-trips named tensors, topology and metadata through model.json + weights.bin', async () => {
    const dir = await tempDir();
    const { artifacts, tensors } = await sampleArtifacts();
    const result = await saveWith(fileSystem(dir), artifacts);

    expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);
    const weightBytes = (artifacts.weightData as ArrayBuffer).byteLength;
    expect((await stat(join(dir, 'weights.bin'))).size).toBe(weightBytes);
    expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(weightBytes);
    expect(result.modelArtifactsInfo.dateSaved).toBeInstanceOf(Date);

    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(modelJson).toEqual({
      modelTopology: { class_name: 'ResNet', config: { depth: 18 } },
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-core v4.22.0',
      convertedBy: null,
      userDefinedMetadata: { dataset: 'cifar10' },
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    });

    const loaded = await loadWith(fileSystem(dir));
    expect(loaded.modelTopology).toEqual(artifacts.modelTopology);
    expect(loaded.format).toBe('layers-model');
    expect(loaded.generatedBy).toBe(artifacts.generatedBy);
    expect(loaded.convertedBy).toBeNull();
    expect(loaded.userDefinedMetadata).toEqual({ dataset: 'cifar10' });
    expect(loaded.weightSpecs).toEqual(artifacts.weightSpecs);
    expect(loaded.weightData).toBeInstanceOf(ArrayBuffer);
    expect(decodedValues(decode(loaded))).toEqual(decodedValues(tensors));
  });

  test('a path ending in model.json is the file itself; missing directories are created', async () => {
    const dir = await tempDir();
    const target = join(dir, 'nested', 'deeper', 'model.json');
    const { artifacts, tensors } = await sampleArtifacts();
    await saveWith(fileSystem(target), artifacts);
    expect(await listDir(join(dir, 'nested', 'deeper'))).toEqual(['model.json', 'weights.bin']);
    expect(decodedValues(decode(await loadWith(fileSystem(target))))).toEqual(decodedValues(tensors));
    // The directory form finds the same files.
    expect(decodedValues(decode(await loadWith(fileSystem(join(dir, 'nested', 'deeper')))))).toEqual(decodedValues(tensors));
  });

  test('another .json name gets its own weights file, so models can share a directory', async () => {
    const dir = await tempDir();
    const { artifacts } = await sampleArtifacts();
    await saveWith(fileSystem(join(dir, 'resnet18.json')), artifacts);
    await saveWith(fileSystem(dir), artifacts);
    expect(await listDir(dir)).toEqual(['model.json', 'resnet18.json', 'resnet18.weights.bin', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'resnet18.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['resnet18.weights.bin']);
  });

  test('sharded weightData (ArrayBuffer[]) is joined; absent topology is written as null', async () => {
    const dir = await tempDir();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor2d([
      [4, 5],
      [6, 7],
    ]);
    const encodedA = await tf.io.encodeWeights({ a });
    const encodedB = await tf.io.encodeWeights({ b });
    await saveWith(fileSystem(dir), {
      weightSpecs: [...encodedA.specs, ...encodedB.specs],
      weightData: [encodedA.data, encodedB.data],
    });
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.modelTopology).toBeNull();
    const loaded = await loadWith(fileSystem(dir));
    expect(loaded.modelTopology).toBeNull();
    expect(decodedValues(decode(loaded))).toEqual(decodedValues({ a, b }));
  });

  test('saving again replaces the previous model', async () => {
    const dir = await tempDir();
    const first = await tf.io.encodeWeights({ w: tf.tensor1d([1, 2]) });
    const second = await tf.io.encodeWeights({ w: tf.tensor1d([3, 4, 5]) });
    await saveWith(fileSystem(dir), { weightSpecs: first.specs, weightData: first.data });
    await saveWith(fileSystem(dir), { weightSpecs: second.specs, weightData: second.data });
    expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);
    expect(Array.from(decode(await loadWith(fileSystem(dir)))['w']?.dataSync() ?? [])).toEqual([3, 4, 5]);
  });
});

describe('loading converter-style sharded models', () => {
  test('reads every shard of every group and concatenates them in order', async () => {
    const dir = await tempDir();
    // Group 1: one float32 tensor of 6 values split across two shard files (boundary mid-tensor).
    // Group 2: an int32 tensor in a third file.
    const kernel = new Float32Array([0.5, -1, 2, 3.25, -4, 5]);
    const kernelBytes = new Uint8Array(kernel.buffer);
    await writeFile(join(dir, 'group1-shard1of2.bin'), kernelBytes.subarray(0, 10));
    await writeFile(join(dir, 'group1-shard2of2.bin'), kernelBytes.subarray(10));
    await writeFile(join(dir, 'group2-shard1of1.bin'), new Uint8Array(new Int32Array([42, -7]).buffer));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        format: 'graph-model',
        generatedBy: '2.15.0',
        convertedBy: 'TensorFlow.js Converter v4.22.0',
        modelTopology: { node: [] },
        signature: { inputs: {} },
        weightsManifest: [
          {
            paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
            weights: [{ name: 'conv/kernel', shape: [2, 3], dtype: 'float32' }],
          },
          { paths: ['group2-shard1of1.bin'], weights: [{ name: 'step', shape: [2], dtype: 'int32' }] },
        ],
      }),
    );
    const loaded = await loadWith(fileSystem(join(dir, 'model.json')));
    expect(loaded.format).toBe('graph-model');
    expect(loaded.convertedBy).toBe('TensorFlow.js Converter v4.22.0');
    expect(loaded.signature).toEqual({ inputs: {} });
    expect((loaded.weightData as ArrayBuffer).byteLength).toBe(32);
    expect(loaded.weightSpecs?.map((s) => s.name)).toEqual(['conv/kernel', 'step']);
    const weights = decode(loaded);
    expect(weights['conv/kernel']?.shape).toEqual([2, 3]);
    expect(Array.from(weights['conv/kernel']?.dataSync() ?? [])).toEqual(Array.from(kernel));
    expect(Array.from(weights['step']?.dataSync() ?? [])).toEqual([42, -7]);
  });

  test('quantized weights are sized by their quantized dtype', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'q.bin'), Uint8Array.of(0, 2, 4, 255));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {},
        weightsManifest: [
          {
            paths: ['q.bin'],
            weights: [{ name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } }],
          },
        ],
      }),
    );
    const q = decode(await loadWith(fileSystem(dir)))['q'];
    expect(Array.from(q?.dataSync() ?? [])).toEqual([-1, 0, 1, 126.5]);
  });
});

describe('errors', () => {
  test('missing model.json', async () => {
    const dir = await tempDir();
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(
      new RegExp(`^node-io: model.json not found: ${join(dir, 'model.json')} does not exist`),
    );
    await expect(loadWith(fileSystem(dir))).rejects.toBeInstanceOf(FileIOError);
  });

  test('invalid JSON and non-object JSON', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(/^node-io: .*model\.json is not valid JSON \(/);
    await writeFile(join(dir, 'model.json'), '[1, 2]');
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(/^node-io: .*model\.json must hold a JSON object/);
  });

  test('invalid weightsManifest', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: 'weights.bin', weights: [] }] }));
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(
      /^node-io: .*model\.json has an invalid weightsManifest: group 0 has no "paths" array of strings/,
    );
  });

  test('missing shard file is named', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'group1-shard1of2.bin'), new Uint8Array(8));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {},
        weightsManifest: [
          { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] },
        ],
      }),
    );
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(
      new RegExp(
        `^node-io: weight file "group1-shard2of2.bin" listed in .*model\\.json is missing \\(looked for ${join(dir, 'group1-shard2of2.bin')}\\)`,
      ),
    );
  });

  test("shard sizes that don't add up to the specs' byte length", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.bin'), new Uint8Array(8));
    await writeFile(join(dir, 'b.bin'), new Uint8Array(4));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {},
        weightsManifest: [
          {
            paths: ['a.bin', 'b.bin'],
            weights: [
              { name: 'w', shape: [2, 2], dtype: 'float32' },
              { name: 'b', shape: [2], dtype: 'int32' },
            ],
          },
        ],
      }),
    );
    await expect(loadWith(fileSystem(dir))).rejects.toThrow(
      /^node-io: weight group 0 in .*model\.json has 2 file\(s\) \(a\.bin, b\.bin\) holding 12 bytes, but its 2 weight\(s\) need 24 bytes/,
    );
  });

  test('save refuses a binary topology and weightData that does not match weightSpecs', async () => {
    const dir = await tempDir();
    await expect(saveWith(fileSystem(dir), { modelTopology: new ArrayBuffer(4) })).rejects.toThrow(
      /^node-io: cannot save to .*model\.json: the model topology is binary/,
    );
    const { specs } = await tf.io.encodeWeights({ w: tf.tensor1d([1, 2, 3]) });
    await expect(saveWith(fileSystem(dir), { weightSpecs: specs, weightData: new ArrayBuffer(8) })).rejects.toThrow(
      /^node-io: cannot save to .*model\.json: weightData is 8 bytes but the 1 weightSpecs describe 12 bytes/,
    );
    expect(await listDir(dir)).toEqual([]);
  });

  test('a directory that cannot be created is named', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'not-a-dir'), 'x');
    await expect(saveWith(fileSystem(join(dir, 'not-a-dir', 'model')), {})).rejects.toThrow(
      /^node-io: cannot create directory .*not-a-dir\/model: /,
    );
  });
});

describe('atomicity', () => {
  test('a failing weights write leaves the previous model.json intact and no temporary files', async () => {
    const dir = await tempDir();
    const { artifacts } = await sampleArtifacts();
    await saveWith(fileSystem(dir), artifacts);
    const before = await readFile(join(dir, 'model.json'));

    // Make the weights rename fail (a directory sits where weights.bin goes), even for root.
    await rm(join(dir, 'weights.bin'));
    await mkdir(join(dir, 'weights.bin'));
    const other = await tf.io.encodeWeights({ w: tf.tensor1d([9]) });
    await expect(saveWith(fileSystem(dir), { weightSpecs: other.specs, weightData: other.data })).rejects.toThrow(
      /^node-io: cannot write .*weights\.bin: /,
    );
    // model.json was never touched: the weights are written first.
    expect(await readFile(join(dir, 'model.json'))).toEqual(before);
    expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);
    expect(await listDir(join(dir, 'weights.bin'))).toEqual([]);
  });

  test('a failing model.json write removes its temporary file', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'model.json'));
    const { artifacts } = await sampleArtifacts();
    await expect(saveWith(fileSystem(dir), artifacts)).rejects.toThrow(
      /^node-io: cannot write .*model\.json: it is a directory \(EISDIR\)/,
    );
    expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);
    expect(await listDir(join(dir, 'model.json'))).toEqual([]);
  });

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  test.skipIf(isRoot || process.platform === 'win32')(
    `a read-only directory leaves the previous model intact${isRoot ? ' (skipped: running as root, which ignores directory permissions)' : ''}`,
    async () => {
      const dir = await tempDir();
      const { artifacts, tensors } = await sampleArtifacts();
      await saveWith(fileSystem(dir), artifacts);
      const before = await readFile(join(dir, 'model.json'));
      await chmod(dir, 0o555);
      try {
        const other = await tf.io.encodeWeights({ w: tf.tensor1d([9]) });
        await expect(saveWith(fileSystem(dir), { weightSpecs: other.specs, weightData: other.data })).rejects.toThrow(
          /^node-io: cannot write .*weights\.bin: the folder .* is not writable: permission denied \(EACCES\)/,
        );
      } finally {
        await chmod(dir, 0o755);
      }
      expect(await readFile(join(dir, 'model.json'))).toEqual(before);
      expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);
      expect(decodedValues(decode(await loadWith(fileSystem(dir))))).toEqual(decodedValues(tensors));
    },
  );
});
