// Both weight formats round-trip exactly: safetensors with PyTorch's names and layouts, and
// TensorFlow.js's model.json + shards through tf.io handlers (memory, and http:// from a local server).
import * as tf from '@tensorflow/tfjs-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ResNet,
  createModel,
  exportSafetensors,
  importSafetensors,
  importStateDict,
  loadModel,
  loadWeights,
  parseSafetensors,
  saveWeights,
  toFloat32,
  toModelArtifacts,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';
import { loadFixture } from './helpers/fixtures.js';

beforeAll(useCpu);

const small = (seed: number, options = {}): ResNet =>
  createModel('resnet8', { seed, inputSize: 8, widths: [4, 8, 16], stemWidth: 4, ...options });

function expectSameWeights(a: ResNet, b: ResNet): void {
  expect([...b.variables.keys()]).toEqual([...a.variables.keys()]);
  for (const [name, v] of a.variables) expect(b.variables.get(name)!.dataSync(), name).toEqual(v.dataSync());
}

describe('safetensors (PyTorch names and layouts)', () => {
  test('export → import reproduces every weight and num_batches_tracked', async () => {
    const a = small(1, { shortcut: 'B' });
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    tf.dispose(a.apply(x, { training: true })); // running statistics and the counter move
    const bytes = await exportSafetensors(a);
    const b = small(2, { shortcut: 'B' });
    importSafetensors(b, bytes);
    expectSameWeights(a, b);
    expect(b.numBatchesTracked).toBe(1);
    tf.dispose(x);
    [a, b].forEach((m) => m.dispose());
  });

  test("the file is in PyTorch's layouts: OIHW convs, [out, in] fc, int64 num_batches_tracked, format pt", async () => {
    const a = small(3);
    const file = parseSafetensors(await exportSafetensors(a));
    expect(file.metadata['format']).toBe('pt');
    expect(JSON.parse(file.metadata['resnet']!).spec.name).toBe('resnet8');
    expect(file.tensors.get('layer2.0.conv1.weight')).toMatchObject({ dtype: 'F32', shape: [8, 4, 3, 3] });
    expect(file.tensors.get('linear.weight')).toMatchObject({ dtype: 'F32', shape: [10, 16] });
    expect(file.tensors.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    // OIHW[o][i][h][w] = HWIO[h][w][i][o]
    const hwio = a.variables.get('layer2.0.conv1.weight')!.arraySync() as number[][][][];
    const oihw = toFloat32(file.tensors.get('layer2.0.conv1.weight')!);
    expect(oihw[((5 * 4 + 3) * 3 + 1) * 3 + 2]).toBe(hwio[1]![2]![3]![5]);
    a.dispose();
  });

  test('a PyTorch state dict comes back out exactly as it went in', async () => {
    const fx = loadFixture('torchvision_bottleneck');
    const model = new ResNet(fx.spec);
    importStateDict(model, fx.stateDict);
    const out = parseSafetensors(await exportSafetensors(model));
    expect([...out.tensors.keys()].sort()).toEqual([...fx.stateDict.keys()].sort());
    for (const [name, t] of fx.stateDict) {
      const got = out.tensors.get(name)!;
      expect(got.shape, name).toEqual(t.shape);
      expect(toFloat32(got), name).toEqual(t.data);
    }
    model.dispose();
  });

  test('a DataParallel `module.` prefix is accepted; wrong tensors are named', () => {
    const fx = loadFixture('cifar_resnet8_B');
    const prefixed = new Map([...fx.stateDict].map(([k, t]) => [`module.${k}`, t]));
    const model = new ResNet(fx.spec);
    importStateDict(model, prefixed);
    const missing = new Map(fx.stateDict);
    missing.delete('layer2.0.shortcut.0.weight');
    expect(() => importStateDict(model, missing)).toThrow(/missing "layer2.0.shortcut.0.weight" \(PyTorch shape \[32, 16, 1, 1\]\)/);
    const wrong = new Map(fx.stateDict);
    wrong.set('linear.weight', { shape: [100, 64], data: new Float32Array(6400) });
    expect(() => importStateDict(model, wrong)).toThrow(/"linear.weight" has shape \[100, 64\], expected \[10, 64\] \(PyTorch layout\)/);
    model.dispose();
  });

  test("a file that is not safetensors gets the parser's error", () => {
    const model = small(4);
    expect(() => importSafetensors(model, new Uint8Array([1, 2, 3]))).toThrow(/^safetensors: /);
    model.dispose();
  });
});

describe('TensorFlow.js weights format (model.json + shards, through tf.io)', () => {
  test('save → loadWeights and loadModel through memory handlers reproduce the model', async () => {
    const a = small(5, { shortcut: 'C', numClasses: 7 });
    let saved: tf.io.ModelArtifacts | undefined;
    await saveWeights(
      a,
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(saved!.format).toBe('resnet-weights');
    expect(saved!.weightSpecs!.map((s) => s.name)).toEqual([...a.layout.keys()]);
    const b = small(6, { shortcut: 'C', numClasses: 7 });
    await loadWeights(b, tf.io.fromMemory(saved!));
    expectSameWeights(a, b);
    const c = await loadModel(tf.io.fromMemory(saved!));
    expect(c.spec).toEqual(a.spec);
    expectSameWeights(a, c);
    [a, b, c].forEach((m) => m.dispose());
  });

  test('weights of another architecture are refused with the first difference', async () => {
    const a = small(7);
    const artifacts = await toModelArtifacts(a);
    const other = createModel('resnet14', { inputSize: 8, widths: [4, 8, 16], stemWidth: 4 });
    await expect(loadWeights(other, tf.io.fromMemory(artifacts))).rejects.toThrow(
      /are for resnet8, not this resnet14: stages \[1,1,1\] ≠ \[2,2,2\]/,
    );
    const notOurs = { ...artifacts, format: 'layers-model' };
    await expect(loadWeights(a, tf.io.fromMemory(notOurs))).rejects.toThrow(/is not a ResNet weights file \(format "layers-model"/);
    await expect(loadWeights(a, 'nosuchscheme://x')).rejects.toThrow(/no tf.io handler can load "nosuchscheme:\/\/x"/);
    [a, other].forEach((m) => m.dispose());
  });

  describe('over http:// from a local server', () => {
    let server: Server;
    let base = '';
    const files = new Map<string, Uint8Array>();
    beforeAll(async () => {
      server = createServer((req, res) => {
        const body = files.get(req.url ?? '');
        res.writeHead(body ? 200 : 404).end(body ?? 'not found');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test('loadModel("http://…/model.json") rebuilds and fills the model', async () => {
      const a = small(8);
      const artifacts = await toModelArtifacts(a);
      const weightData = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      files.set('/m/model.json', new TextEncoder().encode(JSON.stringify(modelJson)));
      files.set('/m/weights.bin', weightData);
      const b = await loadModel(`${base}/m/model.json`);
      expectSameWeights(a, b);
      [a, b].forEach((m) => m.dispose());
    });
  });

  test('saving and loading leave no tensor behind', async () => {
    const a = small(9);
    const before = tf.memory().numTensors;
    const artifacts = await toModelArtifacts(a);
    await loadWeights(a, tf.io.fromMemory(artifacts));
    importSafetensors(a, await exportSafetensors(a));
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});
