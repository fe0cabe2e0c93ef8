// The webgpu backend in Node, on Dawn. Tests that need an adapter are skipped, with the probe's
// reason printed, on machines without one (no GPU and no SwiftShader); they never fall back to
// another backend.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, backendProviders, useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { collapsePaddings } from '../src/kernels/index.js';
import { webgpuBackend } from '../src/node.js';
import { createWebGPUProvider, describeAdapter } from '../src/provider.js';
import { ATOL, RTOL, agreement, expectClose, flatten, runTiny, type TinyRun } from './tiny.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const status = await webgpuBackend.probe();
const available = status.available;
if (available) console.log(`webgpu adapter: ${status.device}`);
else console.log(`SKIPPED: the tests that run on webgpu, because there is no WebGPU adapter here: ${status.reason}`);

describe('the provider', () => {
  test('importing registers webgpu with core: tfjs backend webgpu, priority 30', () => {
    expect(backendProviders()).toContain(webgpuBackend);
    expect(webgpuBackend).toMatchObject({ name: 'webgpu', tfjsBackend: 'webgpu', priority: 30 });
  });

  test('probe reports availability, and a reason saying what to do when unavailable', async () => {
    expect(await webgpuBackend.probe()).toBe(status); // probed once, then cached
    expect(status).toMatchObject({ name: 'webgpu', tfjsBackend: 'webgpu', available: expect.any(Boolean) });
    if (status.available) expect(status.device).toEqual(expect.any(String));
    else expect(status.reason).toMatch(/install|VK_ICD_FILENAMES|adapter/);
  });

  test('a probe never throws, and activate then throws a ResNetError with the reason', async () => {
    const none = createWebGPUProvider(async () => ({ details: {}, reason: 'no WebGPU adapter: for this test' }));
    expect(await none.probe()).toMatchObject({ available: false, reason: 'no WebGPU adapter: for this test' });
    await expect(none.activate()).rejects.toThrow(ResNetError);
    await expect(none.activate()).rejects.toThrow('resnet: the webgpu backend cannot run here: no WebGPU adapter: for this test');
    const broken = createWebGPUProvider(() => Promise.reject(new Error('dlopen failed')));
    expect(await broken.probe()).toMatchObject({ available: false, reason: 'looking for a WebGPU adapter failed: dlopen failed' });
  });

  test('the device line names the adapter as Dawn and as Chromium report it', () => {
    const dawn = {
      vendor: 'google',
      architecture: 'swiftshader',
      device: 'swiftshader-device-subzero-',
      description: 'SwiftShader driver 5.0.0',
    };
    expect(describeAdapter(dawn, true)).toBe(
      'SwiftShader driver 5.0.0 [google swiftshader, swiftshader-device-subzero-] (fallback adapter)',
    );
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' }, true)).toBe(
      'google swiftshader (fallback adapter)',
    );
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060' }, false)).toBe(
      'NVIDIA GeForce RTX 3060 [nvidia ampere]',
    );
    expect(describeAdapter({}, false)).toBe('unnamed adapter');
  });

  test('without the optional dependency `webgpu`, the reason says to install it (child process)', () => {
    const script = "import { webgpuBackend } from '@resnet/backend-webgpu'; console.log(JSON.stringify(await webgpuBackend.probe()));";
    const child = spawnSync(process.execPath, ['--import', './test/fixtures/without-dawn.mjs', '--input-type=module', '-e', script], {
      cwd: packageDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const probed = JSON.parse(child.stdout.trim().split('\n').pop()!) as { available: boolean; reason: string };
    expect(probed.available).toBe(false);
    expect(probed.reason).toMatch(/npm package "webgpu".*could not be loaded \(Cannot find package 'webgpu'\): npm install webgpu/);
  });

  test.runIf(process.platform === 'linux')(
    'a Vulkan driver chosen by VK_ICD_FILENAMES that gives no adapter is named in the reason (child process)',
    () => {
      const script = "import { webgpuBackend } from '@resnet/backend-webgpu'; console.log(JSON.stringify(await webgpuBackend.probe()));";
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: packageDir,
        env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.status, child.stderr).toBe(0);
      const probed = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
        available: boolean;
        reason: string;
        details: Record<string, string>;
      };
      expect(probed.available).toBe(false);
      expect(probed.reason).toContain('VK_ICD_FILENAMES/VK_DRIVER_FILES=/nonexistent/icd.json');
      expect(probed.details.dawn).toMatch(/^webgpu \d+\.\d+/);
    },
  );

  test.skipIf(!available)('probe reports the adapter, its limits and features, and the versions', () => {
    expect(status.device).toMatch(/\S/);
    expect(status.details).toMatchObject({
      tfjs: tf.version_core,
      dawn: expect.stringMatching(/^webgpu \d+\.\d+\.\d+/),
      'adapter.vendor': expect.any(String),
      'adapter.architecture': expect.any(String),
      'adapter.fallback': expect.stringMatching(/^(true|false)$/),
      'adapter.limits.maxStorageBufferBindingSize': expect.stringMatching(/^\d+$/),
      'adapter.limits.maxComputeWorkgroupStorageSize': expect.stringMatching(/^\d+$/),
    });
    if (status.details?.['adapter.fallback'] === 'true') {
      expect(status.device).toContain('(fallback adapter)');
      expect(status.warnings?.join(' ')).toMatch(/fallback \(software\) adapter/);
      expect(status.fallback).toBe(true); // so that `auto` prefers wasm
    } else {
      expect(status.fallback).toBeUndefined();
    }
    console.log('probe:', JSON.stringify(status, null, 2));
  });

  test.skipIf(!available)("useBackend('webgpu') switches tfjs to webgpu", async () => {
    expect(await useBackend('webgpu')).toBe(status);
    expect(tf.getBackend()).toBe('webgpu');
    const y = tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same');
    expect(Array.from(await y.data())).toEqual([8, 12, 12, 8, 12, 18, 18, 12, 12, 18, 18, 12, 8, 12, 12, 8]);
    tf.dispose(y);
  });
});

describe('rank-5 and rank-6 pads (tfjs-backend-webgpu 4.22 fails them; fixed here)', () => {
  test('padded axes merge with the unpadded axes after them', () => {
    // The gradient of option A's subsample: [n, h/2, 1, w/2, 1, c] → [n, h/2, 2, w/2, 2, c].
    expect(
      collapsePaddings(
        [2, 4, 1, 4, 1, 3],
        [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      ),
    ).toEqual({
      shape: [8, 4, 3],
      paddings: [
        [0, 0],
        [0, 4],
        [0, 3],
      ],
    });
    expect(
      collapsePaddings(
        [2, 3, 4, 5, 6],
        [
          [1, 0],
          [0, 0],
          [0, 0],
          [2, 1],
          [0, 0],
        ],
      ),
    ).toEqual({
      shape: [24, 30],
      paddings: [
        [12, 0],
        [12, 6],
      ],
    });
  });

  test.skipIf(!available)('match the cpu backend and free their intermediates', async () => {
    const cases: Array<{ shape: number[]; paddings: Array<[number, number]> }> = [
      {
        shape: [2, 4, 1, 4, 1, 3],
        paddings: [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      },
      {
        shape: [2, 3, 2, 3, 2],
        paddings: [
          [1, 0],
          [0, 0],
          [0, 2],
          [1, 1],
          [0, 0],
        ],
      },
      {
        shape: [2, 2, 2, 2, 2, 2],
        paddings: [
          [1, 0],
          [0, 1],
          [1, 1],
          [0, 0],
          [2, 0],
          [0, 1],
        ],
      }, // 5 padded axes
    ];
    for (const { shape, paddings } of cases) {
      await useBackend('cpu');
      const values = tf.randomUniform(shape, -1, 1, 'float32', 3);
      const expected = Array.from(tf.pad(values, paddings, 0.5).dataSync());
      await useBackend('webgpu');
      const x = tf.tensor(values.dataSync(), shape);
      const before = tf.engine().backend.numDataIds();
      const y = tf.pad(x, paddings, 0.5);
      expect(y.shape).toEqual(shape.map((s, i) => paddings[i]![0] + s + paddings[i]![1]));
      expect(Array.from(await y.data())).toEqual(expected);
      y.dispose();
      expect(tf.engine().backend.numDataIds()).toBe(before);
      tf.dispose([x, values]);
    }
  });
});

describe('a tiny ResNet on webgpu against cpu', () => {
  let runs: Promise<{ cpu: TinyRun; webgpu: TinyRun }> | undefined;
  const both = () =>
    (runs ??= (async () => {
      const cpu = await runTiny('cpu');
      const webgpu = await runTiny('webgpu');
      console.log(`resnet8 predict + gradient: cpu ${cpu.ms} ms, webgpu ${webgpu.ms} ms (shader compilation included)`);
      return { cpu, webgpu };
    })());

  test.skipIf(!available)("predict gives the cpu backend's logits", async () => {
    const { cpu, webgpu } = await both();
    expect([cpu.backend, webgpu.backend]).toEqual(['cpu', 'webgpu']);
    expectClose('logits (Node)', cpu.logits, webgpu.logits);
  });

  test.skipIf(!available)("a training-mode gradient step gives the cpu backend's loss, gradients and BN statistics", async () => {
    const { cpu, webgpu } = await both();
    expectClose('loss (Node)', [cpu.loss], [webgpu.loss]);
    const names = Object.keys(cpu.grads);
    expect(names.length).toBe(Object.keys(webgpu.grads).length);
    expect(names).toContain('conv1.weight');
    expectClose('gradients (Node)', flatten(cpu.grads, names), flatten(webgpu.grads, names));
    // Each weight's gradient on its own scale too, so that small ones are not hidden by large ones.
    for (const name of names) {
      const scale = cpu.grads[name]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(agreement(cpu.grads[name]!, webgpu.grads[name]!, RTOL, ATOL * scale).close, name).toBe(true);
    }
    const stats = Object.keys(cpu.runningStats);
    expectClose('BN running statistics (Node)', flatten(cpu.runningStats, stats), flatten(webgpu.runningStats, stats));
  });
});
