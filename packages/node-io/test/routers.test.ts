import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { fileRouter, registerFileRouters } from '../src/index.js';
import { decodedValues, listDir, removeTempDirs, sampleArtifacts, tempDir, useCpu } from './helpers.js';

beforeAll(useCpu);
afterEach(removeTempDirs);

// Each test file runs in its own worker, so the registry starts without our routers.
describe('registerFileRouters', () => {
  test('file:// URLs have no handler before registration', () => {
    expect(tf.io.getSaveHandlers('file:///tmp/model')).toHaveLength(0);
    expect(tf.io.getLoadHandlers('file:///tmp/model/model.json')).toHaveLength(0);
  });

  test('registers once, however often it is called', () => {
    registerFileRouters();
    registerFileRouters();
    expect(tf.io.getSaveHandlers('file:///tmp/model')).toHaveLength(1);
    expect(tf.io.getLoadHandlers('file:///tmp/model/model.json')).toHaveLength(1);
  });

  test('other schemes are left to other routers', () => {
    registerFileRouters();
    expect(tf.io.getSaveHandlers('resnet-nowhere://model')).toHaveLength(0);
    expect(fileRouter('https://example.com/model.json')).toBeNull();
    expect(fileRouter(['file:///a/model.json', 'file:///b/model.json'])).toBeNull();
    expect(fileRouter(['file:///a/model.json'])).not.toBeNull();
  });

  test('saves through getSaveHandlers and loads through getLoadHandlers', async () => {
    registerFileRouters();
    const dir = await tempDir();
    const { artifacts, tensors } = await sampleArtifacts();

    const [saver] = tf.io.getSaveHandlers(`file://${dir}`);
    const result = await saver?.save?.(artifacts);
    expect(result?.modelArtifactsInfo.weightDataBytes).toBe((artifacts.weightData as ArrayBuffer).byteLength);
    expect(await listDir(dir)).toEqual(['model.json', 'weights.bin']);

    for (const url of [`file://${dir}`, `file://${join(dir, 'model.json')}`]) {
      const [loader] = tf.io.getLoadHandlers(url);
      const loaded = await loader?.load?.();
      if (!loaded?.weightData || !loaded.weightSpecs) throw new Error(`nothing loaded from ${url}`);
      expect(loaded.modelTopology).toEqual(artifacts.modelTopology);
      expect(decodedValues(tf.io.decodeWeights(loaded.weightData, loaded.weightSpecs))).toEqual(decodedValues(tensors));
    }
  });
});
