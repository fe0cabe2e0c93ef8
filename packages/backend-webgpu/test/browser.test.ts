// The browser entry in headless Chromium (Debian's, WebGPU through --enable-unsafe-webgpu): the tiny
// ResNet on webgpu against cpu, in the page. Skipped, with the reason printed, without Chromium.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, chromiumAvailable, runInChromium } from '@resnet/browser-harness';
import { afterAll, expect, test } from 'vitest';
import type { PageResult } from './fixtures/page.js';
import { expectClose, flatten } from './tiny.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const page = path.join(here, 'fixtures', 'page.ts');
const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: the Chromium tests: ${chromium.reason}`);

const tmp = await mkdtemp(path.join(os.tmpdir(), 'backend-webgpu-bundle-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

test('the browser bundle takes the browser entry: navigator.gpu, no Dawn, no Node built-ins', async () => {
  const out = path.join(tmp, 'main.js');
  const result = await bundle(page, out, { sourcemap: false });
  expect(result.warnings).toEqual([]);
  const code = await readFile(out, 'utf8');
  expect(code).toContain('function browserGpu(');
  expect(code).not.toContain('function dawnGpu(');
  expect(code).not.toMatch(/from\s*["']webgpu["']|import\(["']webgpu["']\)|["']node:/);
});

test.skipIf(!chromium.available)(
  "in Chromium, resnet8 on webgpu gives the cpu backend's logits and gradients, and the adapter is reported",
  async () => {
    const started = Date.now();
    const result = await runInChromium<PageResult>(page, { logPrefix: '[chromium]' });
    console.log(`Chromium session: ${Date.now() - started} ms`);
    console.log('probe in Chromium:', JSON.stringify(result.status, null, 2));
    expect(result.status, result.status.reason).toMatchObject({ name: 'webgpu', available: true });
    expect(result.status.device).toMatch(/\S/);
    expect(result.status.details).toMatchObject({
      'adapter.vendor': expect.any(String),
      'adapter.fallback': expect.stringMatching(/^(true|false)$/),
    });
    const { cpu, webgpu } = result;
    expect([cpu?.backend, webgpu?.backend]).toEqual(['cpu', 'webgpu']);
    console.log(`resnet8 predict + gradient in Chromium: cpu ${cpu!.ms} ms, webgpu ${webgpu!.ms} ms`);
    expectClose('logits (Chromium)', cpu!.logits, webgpu!.logits);
    expectClose('loss (Chromium)', [cpu!.loss], [webgpu!.loss]);
    const names = Object.keys(cpu!.grads);
    expectClose('gradients (Chromium)', flatten(cpu!.grads, names), flatten(webgpu!.grads, names));
    const stats = Object.keys(cpu!.runningStats);
    expectClose('BN running statistics (Chromium)', flatten(cpu!.runningStats, stats), flatten(webgpu!.runningStats, stats));
  },
);
