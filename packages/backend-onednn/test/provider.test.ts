// The provider: what it reports, threads, and what happens where the addon cannot load (tested in a
// child process, where RESNET_ONEDNN_ADDON names a damaged file as the only one to try).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { skipReason } from './helpers.js';
import { nativeKernelNames, onednnStatus, setThreadsCount } from '../src/index.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe.skipIf(skipReason !== undefined)('the onednn provider', () => {
  test('reports oneDNN, its ISA and threads, and starts by name', async () => {
    const status = await useBackend('onednn');
    expect(status.available).toBe(true);
    expect(status.device).toMatch(/^oneDNN \d+\.\d+\.\d+ \(\w+, \d+ threads?\)$/);
    expect(status.details?.onednn).toMatch(/^\d+\.\d+\.\d+$/);
    expect(status.details?.isa).toMatch(/sse41|avx|avx2|avx512/);
    expect(Number(status.details?.nativeKernels)).toBe(nativeKernelNames().length);
    expect(tf.getBackend()).toBe('onednn');
  });

  test('setThreadsCount takes effect at once and refuses bad counts', async () => {
    setThreadsCount(1);
    expect((await onednnStatus()).details?.threads).toBe('1');
    setThreadsCount(2);
    expect((await onednnStatus()).details?.threads).toBe('2');
    for (const bad of [0, 1.5, -1, 4096, NaN])
      expect(() => setThreadsCount(bad)).toThrow(/thread count must be an integer from 1 to 1024, got/);
  });
});

describe('where the addon cannot load', () => {
  test('the provider says why, auto moves on, and asking by name is refused with the reason', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onednn-'));
    const broken = path.join(dir, 'resnet_onednn.node');
    writeFileSync(broken, 'not an ELF file');
    const script = `
      import '@resnet/backend-cpu';
      import { useBackend, probeBackends } from '@resnet/core';
      import '${path.join(packageRoot, 'dist', 'index.js')}';
      const s = (await probeBackends()).find((b) => b.name === 'onednn');
      const auto = await useBackend('auto');
      let refused = '';
      try { await useBackend('onednn'); } catch (e) { refused = e.message; }
      console.log(JSON.stringify({ available: s.available, reason: s.reason, auto: auto.name, refused }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot,
      env: { ...process.env, RESNET_ONEDNN_ADDON: broken },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { available: boolean; reason: string; auto: string; refused: string };
    expect(r.available).toBe(false);
    expect(r.reason).toContain(broken);
    expect(r.reason).toMatch(/failed to load .*libdnnl-dev.*rebuild-native/);
    expect(r.auto).toBe('cpu');
    expect(r.refused).toMatch(/^resnet: the onednn backend cannot run here: the oneDNN addon failed to load/);
  });
});
