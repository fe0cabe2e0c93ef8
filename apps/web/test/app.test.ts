/**
 * The web app end to end, in Debian's headless Chromium: the built page (dist/, made by `vite build`,
 * which turbo runs before these tests) served cross-origin isolated, driven through playwright-core.
 * One browser session walks through what a user does on WebGPU (SwiftShader here: slow, so the
 * network is ResNet-8 at batch 8 on 64 synthetic images); a second one has no WebGPU and trains on
 * wasm. Screenshots of each state go to .test-results/screenshots/.
 */
import '@resnet/backend-cpu';
import { Rng, createModel, drawSynthetic, exportSafetensors, useBackend } from '@resnet/core';
import { chromiumAvailable, serve, withChromium, type Page, type Server } from '@resnet/browser-harness';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodePng } from './png';

const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: the web app tests need Chromium: ${chromium.reason}`);

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist');
const shots = path.join(here, '..', '.test-results', 'screenshots');
/** The README's picture of the app; refreshed when UPDATE_FIGURES=1. */
const figure = path.join(here, '..', '..', '..', 'docs', 'figures', 'web-app.png');
const UPDATE_FIGURES = process.env.UPDATE_FIGURES === '1';

/** The tiny run: SwiftShader takes seconds per ResNet-8 step even at batch 8. */
const TINY = { model: 'resnet8', batch: '8', iterations: '6', evalEvery: '100', train: '64', test: '16' };

let server: Server;
let files: { dir: string; image: string; text: string; resnet56: string; cifar: string[]; cifarTarGz: string };
let resnet8Params: number;

beforeAll(async () => {
  if (!chromium.available) return;
  if (!existsSync(path.join(dist, 'index.html')))
    throw new Error(`no ${dist}/index.html: run \`pnpm build\` in apps/web first (turbo's test task does)`);
  await mkdir(shots, { recursive: true });
  server = await serve(dist);
  // The fixtures: a synthetic "disc" as a PNG, a text file, and ResNet-56 weights as safetensors.
  await useBackend('cpu');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'resnet-web-'));
  const pixels = new Uint8Array(32 * 32 * 3);
  drawSynthetic(0, new Rng(7), pixels);
  const resnet56 = createModel('resnet56', { seed: 2 });
  const small = createModel(TINY.model);
  resnet8Params = small.summary().params;
  // CIFAR-10's binary format with 10 records per batch file (3073 bytes each: label, then R, G, B planes).
  const cifar = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map(
    (name) => path.join(dir, name),
  );
  for (const file of cifar) {
    const bytes = new Uint8Array(10 * 3073);
    for (let r = 0; r < 10; r++) bytes[r * 3073] = r;
    await writeFile(file, bytes);
  }
  // …and the same files as CIFAR-10's distributed archive, made with GNU tar and gzip.
  const batches = path.join(dir, 'cifar-10-batches-bin');
  await mkdir(batches);
  for (const file of cifar) await copyFile(file, path.join(batches, path.basename(file)));
  const cifarTarGz = path.join(dir, 'cifar-10-binary.tar.gz');
  execFileSync('tar', ['-czf', cifarTarGz, '-C', dir, 'cifar-10-batches-bin']);
  files = {
    dir,
    image: path.join(dir, 'disc.png'),
    text: path.join(dir, 'notes.txt'),
    resnet56: path.join(dir, 'resnet56.safetensors'),
    cifar,
    cifarTarGz,
  };
  await writeFile(files.image, encodePng(pixels, 32, 32));
  await writeFile(files.text, 'these are notes, not data\n');
  await writeFile(files.resnet56, await exportSafetensors(resnet56));
  resnet56.dispose();
  small.dispose();
});

afterAll(async () => {
  await server?.close();
  if (files) await rm(files.dir, { recursive: true, force: true });
});

/**
 * A browser session that lasts across several tests (they share the page, as a user would), closed
 * in afterAll. `withChromium` always cleans up, even when a test fails.
 */
function browserSession(options: Parameters<typeof withChromium>[1] = {}): {
  page: () => Page;
  open: () => Promise<void>;
  close: () => Promise<void>;
} {
  let page: Page | undefined;
  let release: (() => void) | undefined;
  let session: Promise<void> | undefined;
  return {
    page: () =>
      page ??
      (() => {
        throw new Error('the browser session did not start');
      })(),
    open: () =>
      new Promise<void>((ready, failed) => {
        session = withChromium(
          async (p) => {
            await p.setViewportSize({ width: 1280, height: 900 });
            page = p;
            ready();
            await new Promise<void>((r) => (release = r));
          },
          { timeoutMs: 600_000, ...options },
        );
        session.catch(failed);
      }),
    close: async () => {
      release?.();
      await session;
    },
  };
}

async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  const file = path.join(shots, `${name}.png`);
  // From the top, where the status line and the errors are (file pickers scroll the page).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage });
  return file;
}

async function iteration(page: Page): Promise<number> {
  return Number((await page.getAttribute('#iteration', 'data-value')) ?? '0');
}

/** Waits for an error of `context` and returns its text. */
async function errorText(page: Page, context: string, includes: string): Promise<string> {
  const item = page.locator(`#errors li[data-context="${context}"]`, { hasText: includes });
  await item.first().waitFor({ timeout: 60_000 });
  return (await item.first().textContent()) ?? '';
}

/** Picks the tiny run's model, data and training settings, and waits until the worker has them. */
async function useTinySetup(page: Page): Promise<void> {
  await page.selectOption('#model', TINY.model);
  await page.locator('#model-label', { hasText: `(${TINY.model})` }).waitFor({ timeout: 60_000 });
  await page.fill('#train-size', TINY.train);
  await page.fill('#test-size', TINY.test);
  await page.click('#use-synthetic');
  await page.locator('#data-info', { hasText: `synthetic shapes: ${TINY.train} training` }).waitFor({ timeout: 60_000 });
  await page.fill('#batch-size', TINY.batch);
  await page.fill('#iterations', TINY.iterations);
  await page.fill('#eval-every', TINY.evalEvery);
}

/** Asks for WebGPU by name and waits for the new worker to run on it. */
async function pickWebGpu(page: Page): Promise<void> {
  await page.selectOption('#backend', 'webgpu');
  await page.waitForFunction(() => document.body.dataset.backend === 'webgpu', null, { timeout: 60_000 });
  expect(await page.textContent('#backend-name')).toBe('webgpu');
}

/**
 * The README's figure (UPDATE_FIGURES=1 only; minutes of training): the page's defaults as a user
 * meets them (auto on wasm, ResNet-20, the synthetic recipe's 300 iterations of 32), then an image
 * classified and the layer responses, as one full-page screenshot copied to docs/figures/web-app.png.
 */
async function makeFigure(page: Page): Promise<void> {
  const started = Date.now();
  await page.click('#start');
  await page.waitForFunction(() => document.body.dataset.training === 'finished', null, { timeout: 1_500_000 });
  // The run's speed, for comparing runs: the page's (a moving average over the last steps) and the
  // whole run's (its 300 steps of 32 images and 3 evaluations, over the wall time).
  const seconds = (Date.now() - started) / 1000;
  const images = Number(await page.inputValue('#iterations')) * Number(await page.inputValue('#batch-size'));
  console.log(
    `figure run: ${await page.textContent('#backend-device')}: the page shows ${await page.textContent('#speed')} images/s; ` +
      `${images} images in ${seconds.toFixed(1)} s, ${(images / seconds).toFixed(1)} images/s over the run`,
  );
  await page.setInputFiles('#image-file', files.image);
  const result = await top5(page);
  expect(result.labels[0]).toBe('disc');
  await page.click('#responses');
  await page.locator('#responses-chart svg').waitFor({ timeout: 120_000 });
  await copyFile(await shot(page, 'figure', true), figure);
}

async function top5(page: Page): Promise<{ labels: string[]; probabilities: number[]; sum: number }> {
  await page.waitForFunction(() => document.querySelectorAll('#top5 li').length === 5, null, { timeout: 60_000 });
  return page.evaluate(() => {
    const rows = Array.from(document.querySelectorAll<HTMLElement>('#top5 li'));
    return {
      labels: rows.map((r) => r.dataset.label ?? ''),
      probabilities: rows.map((r) => Number(r.dataset.probability)),
      sum: Number(document.getElementById('top5')!.dataset.sum),
    };
  });
}

describe.skipIf(!chromium.available)('on WebGPU (SwiftShader)', () => {
  const session = browserSession();
  let firstResult: Awaited<ReturnType<typeof top5>>;

  beforeAll(async () => {
    await session.open();
    await session.page().goto(server.url);
  });
  afterAll(() => session.close());

  test(
    'the page loads; auto passes over the software adapter for wasm, shows it, and WebGPU can be picked',
    async () => {
      const page = session.page();
      await page.waitForFunction(() => document.body.dataset.backend, null, { timeout: 60_000 });
      // SwiftShader is the only adapter here: auto follows core and runs wasm, saying why.
      expect(await page.textContent('#backend-name')).toBe('wasm');
      expect(await page.textContent('#backend-note')).toMatch(
        /^auto: using wasm, because this browser's only WebGPU adapter is a software one \(.*swiftshader.*\)/i,
      );
      // @resnet/backend-wasm's kernel module came from where Vite emitted it (src/wasm_paths.ts): no warning.
      expect(await page.textContent('#backend-note')).not.toContain('own wasm kernels did not load');
      expect(await page.textContent('#adapter')).toContain('fallback yes');
      await shot(page, 'loaded-auto');
      if (UPDATE_FIGURES) await makeFigure(page);
      await pickWebGpu(page);
      expect(await page.textContent('#backend-note')).toContain('webgpu was asked for');
      const adapter = (await page.textContent('#adapter')) ?? '';
      expect(adapter).toContain('swiftshader');
      expect(adapter).toContain('fallback yes');
      // The recipe's defaults fill the form (core's synthetic recipe: batch 32, 300 iterations, 0.05).
      expect(await page.inputValue('#batch-size')).toBe('32');
      expect(await page.inputValue('#iterations')).toBe('300');
      expect(await page.inputValue('#lr')).toBe('0.05');
      await page.locator('#model-label', { hasText: 'ResNet-20' }).waitFor();
      expect(await page.textContent('#model-params')).toBe('269,722');
      await shot(page, 'loaded');
    },
    UPDATE_FIGURES ? 1_800_000 : undefined,
  );

  test('training runs: the iteration counter and the loss chart grow, the loss is finite', async () => {
    const page = session.page();
    await useTinySetup(page);
    expect(await page.textContent('#model-params')).toBe(resnet8Params.toLocaleString('en-US'));
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('iteration')!.dataset.value) >= 1, null, { timeout: 120_000 });
    const points1 = Number(await page.getAttribute('#loss-chart', 'data-points'));
    await page.waitForFunction(() => Number(document.getElementById('iteration')!.dataset.value) >= 2, null, { timeout: 120_000 });
    const points2 = Number(await page.getAttribute('#loss-chart', 'data-points'));
    expect(points1).toBeGreaterThanOrEqual(1);
    expect(points2).toBeGreaterThan(points1);
    expect(await page.locator('#loss-chart svg path').count()).toBeGreaterThan(0);
    const loss = Number(await page.getAttribute('#loss', 'data-value'));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    expect(Number(await page.textContent('#speed'))).toBeGreaterThan(0);
    await shot(page, 'training');
  });

  test('pause stops the iteration counter, resume continues to the end', async () => {
    const page = session.page();
    await page.click('#pause');
    await page.waitForFunction(() => document.body.dataset.training === 'paused', null, { timeout: 120_000 });
    const paused = await iteration(page);
    expect(paused).toBeLessThan(Number(TINY.iterations));
    // Longer than a step takes here: a counter that still moved would show.
    await page.waitForTimeout(8_000);
    expect(await iteration(page)).toBe(paused);
    expect(await page.isEnabled('#resume')).toBe(true);
    await shot(page, 'paused');
    await page.click('#resume');
    await page.waitForFunction((at) => Number(document.getElementById('iteration')!.dataset.value) > at, paused, { timeout: 120_000 });
    await page.waitForFunction(() => document.body.dataset.training === 'finished', null, { timeout: 180_000 });
    expect(await iteration(page)).toBe(Number(TINY.iterations));
    expect(await page.textContent('#test-error')).toMatch(/^\d+\.\d%$/);
    expect(await page.textContent('#model-weights')).toContain('trained on the page');
  });

  test('an image is classified: five bars, probabilities summing to 1', async () => {
    const page = session.page();
    await page.setInputFiles('#image-file', files.image);
    firstResult = await top5(page);
    expect(firstResult.labels).toHaveLength(5);
    expect(new Set(firstResult.labels).size).toBe(5);
    for (const label of firstResult.labels)
      expect(['disc', 'ring', 'square', 'outline', 'triangle', 'plus', 'cross', 'h-stripes', 'v-stripes', 'checker']).toContain(label);
    expect(firstResult.sum).toBeCloseTo(1, 5);
    expect([...firstResult.probabilities].sort((a, b) => b - a)).toEqual(firstResult.probabilities);
    expect(firstResult.probabilities.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
    // The summary and the layer responses of the trained weights.
    await page.fill('#response-examples', '16');
    await page.click('#responses');
    await page.locator('#responses-chart svg').waitFor({ timeout: 60_000 });
    expect(await page.textContent('#responses-text')).toMatch(/over 7 3×3 layers, on 16 test images/);
    expect(await page.textContent('#summary')).toContain('layer1.0.conv1');
    await shot(page, 'trained-and-classified', true);
  });

  test('weights saved to IndexedDB survive a reload and classify the same', async () => {
    const page = session.page();
    await page.fill('#save-name', 'tiny-resnet8');
    await page.click('#save');
    await page.locator('#saved li[data-name="tiny-resnet8"]').waitFor({ timeout: 60_000 });
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
    await pickWebGpu(page);
    const saved = page.locator('#saved li[data-name="tiny-resnet8"]');
    await saved.waitFor({ timeout: 60_000 });
    expect(await saved.textContent()).toContain('resnet8');
    await saved.locator('button.load').click();
    await page.locator('#model-weights', { hasText: 'indexeddb://tiny-resnet8' }).waitFor({ timeout: 60_000 });
    expect(await page.inputValue('#model')).toBe('resnet8');
    await page.setInputFiles('#image-file', files.image);
    const again = await top5(page);
    expect(again.labels).toEqual(firstResult.labels);
    again.probabilities.forEach((p, i) => expect(Math.abs(p - firstResult.probabilities[i]!)).toBeLessThan(1e-5));
    await shot(page, 'reloaded-from-indexeddb');
  });

  test('CIFAR-10 binary batch files, and the .tar.gz, are read as the data set', async () => {
    const page = session.page();
    await page.setInputFiles('#cifar-files', files.cifar);
    await page.locator('#data-info', { hasText: 'CIFAR-10: 50 training and 10 test images' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#errors li[data-context="data"]').count()).toBe(0);
    await page.click('#use-synthetic');
    await page.locator('#data-info', { hasText: 'synthetic shapes' }).waitFor({ timeout: 60_000 });
    await page.setInputFiles('#cifar-files', files.cifarTarGz);
    await page.locator('#data-info', { hasText: 'CIFAR-10: 50 training and 10 test images' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#errors li[data-context="data"]').count()).toBe(0);
  });

  test('wrong files and mismatched weights give clear messages', async () => {
    const page = session.page();
    await page.setInputFiles('#cifar-files', files.text);
    expect(await errorText(page, 'data', 'notes.txt')).toContain('is not a file of the binary version of CIFAR-10');
    await page.setInputFiles('#weights-files', files.text);
    expect(await errorText(page, 'weights', 'notes.txt')).toContain('expected one .safetensors file');
    await page.selectOption('#model', 'resnet20');
    await page.locator('#model-label', { hasText: '(resnet20)' }).waitFor({ timeout: 60_000 });
    await page.setInputFiles('#weights-files', files.resnet56);
    // core's own text: the ResNet-56 state dict has blocks ResNet-20 lacks.
    expect(await errorText(page, 'weights', 'do not fit')).toMatch(/weights do not fit resnet20: unexpected tensor "layer\d\.\d\./);
    expect(await page.textContent('#model-weights')).toBe('random initialisation');
    await shot(page, 'errors');
  });
});

describe.skipIf(!chromium.available)('in a browser without WebGPU', () => {
  const session = browserSession({ omitArgs: ['--enable-unsafe-webgpu'], logPrefix: '[chromium, no WebGPU]' });

  beforeAll(async () => {
    await session.open();
    await session.page().goto(server.url);
  });
  afterAll(() => session.close());

  test('auto says why and uses wasm; asking for WebGPU is refused, not switched', async () => {
    const page = session.page();
    await page.waitForFunction(() => document.body.dataset.backend, null, { timeout: 60_000 });
    expect(await page.textContent('#backend-name')).toBe('wasm');
    expect(await page.textContent('#backend-note')).toMatch(
      /^auto: using wasm, because this browser offers no WebGPU adapter \(no WebGPU adapter: .*\)\./,
    );
    expect(await page.textContent('#adapter')).toBe('none (not on WebGPU)');
    // Cross-origin isolated, so the threaded build runs, one thread per logical core the page offers
    // (at most 8); the count is tfjs's getThreadsCount() once the backend started.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(8, cores);
    expect(await page.textContent('#backend-device')).toBe(`WebAssembly (SIMD, ${threads} thread${threads === 1 ? '' : 's'})`);
    expect(await page.textContent('#backend-note')).not.toContain('threaded build failed');
    // The package's C kernels run on a worker per extra thread beside the training worker: as many threads.
    expect(await page.textContent('#backend-kernels')).toMatch(
      new RegExp(`^loaded: resnet-kernels-${threads > 1 ? 'threaded-' : ''}simd\\.wasm from .* on ${threads} threads?$`),
    );
    await shot(page, 'no-webgpu-auto-wasm');

    await page.selectOption('#backend', 'webgpu');
    expect(await errorText(page, 'backend', 'webgpu')).toContain('the webgpu backend cannot run here: no WebGPU adapter');
    expect(await page.textContent('#backend-name')).toBe('–');
    await shot(page, 'no-webgpu-asked-for-webgpu');
    await page.selectOption('#backend', 'auto');
    await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  });

  test('training works on wasm', async () => {
    const page = session.page();
    await useTinySetup(page);
    await page.fill('#iterations', '2');
    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset.training === 'finished', null, { timeout: 120_000 });
    expect(await iteration(page)).toBe(2);
    expect(Number.isFinite(Number(await page.getAttribute('#loss', 'data-value')))).toBe(true);
    expect(Number(await page.getAttribute('#loss-chart', 'data-points'))).toBe(2);
    await shot(page, 'wasm-trained');
  });
});
