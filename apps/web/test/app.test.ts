/**
 * The web app end to end, in Debian's headless Chromium: the built page (dist/, made by `vite build`,
 * which turbo runs before these tests) served cross-origin isolated, driven through playwright-core.
 * One browser session walks through what a user does on WebGPU (SwiftShader here: slow, so the
 * network is ResNet-8 at batch 8 on 64 synthetic images); a second one has no WebGPU and trains on
 * wasm. A third loads a torchvision ResNet-18 made by Debian's PyTorch as a `.pth`, classifies a
 * photo as PyTorch does, and fine-tunes a new head in the page. Screenshots of each state go to
 * .test-results/screenshots/.
 */
import '@resnet/backend-cpu';
import { IMAGENET_CLASSES, Rng, createModel, drawSynthetic, exportSafetensors, useBackend } from '@resnet/core';
import { chromiumAvailable, serve, withChromium, type Page, type Server } from '@resnet/browser-harness';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gzipSync } from 'node:zlib';
import { idxFile } from '../../../packages/core/test/helpers/idx.js';
import { encodePng } from './png';

const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: the web app tests need Chromium: ${chromium.reason}`);

/**
 * Debian's PyTorch makes the pretrained-weights test's .pth and its reference outputs. It is
 * /usr/bin/python3's: the python3 first on PATH (e.g. pyenv's) usually has no torch.
 */
const PYTHON = '/usr/bin/python3';
function torchAvailable(): { available: boolean; reason: string } {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'pipe' });
    return { available: true, reason: '' };
  } catch {
    return {
      available: false,
      reason: `${PYTHON} cannot import torch and torchvision: apt-get install python3-torch python3-torchvision to run it`,
    };
  }
}
const torch = torchAvailable();
if (chromium.available && !torch.available) console.log(`SKIPPED: the pretrained-weights tests: ${torch.reason}`);

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist');
const shots = path.join(here, '..', '.test-results', 'screenshots');
/** The README's picture of the app; refreshed when UPDATE_FIGURES=1. */
const figure = path.join(here, '..', '..', '..', 'docs', 'figures', 'web-app.png');
const UPDATE_FIGURES = process.env.UPDATE_FIGURES === '1';

/** The tiny run: SwiftShader takes seconds per ResNet-8 step even at batch 8. */
const TINY = { model: 'resnet8', batch: '8', iterations: '6', evalEvery: '100', train: '64', test: '16' };

let server: Server;
let files: { dir: string; image: string; text: string; resnet56: string; cifar: string[]; cifarTarGz: string; fashion: string[] };
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
  // Fashion-MNIST's four IDX files, gzip-compressed as distributed: 40 training and 10 test images.
  const idx = idxFile;
  const fashion: string[] = [];
  for (const [prefix, n] of [
    ['train', 40],
    ['t10k', 10],
  ] as const) {
    const pixels = new Uint8Array(n * 784);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 10;
      pixels.fill(220, i * 784 + (4 + 2 * labels[i]!) * 28, i * 784 + (5 + 2 * labels[i]!) * 28);
    }
    for (const [kind, bytes] of [
      ['images-idx3', idx([n, 28, 28], pixels)],
      ['labels-idx1', idx([n], labels)],
    ] as const) {
      const file = path.join(dir, `${prefix}-${kind}-ubyte.gz`);
      await writeFile(file, gzipSync(bytes));
      fashion.push(file);
    }
  }
  files = {
    fashion,
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
      // Before any training the model is shown with the classes of the data beside it, not CIFAR-10's.
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
      expect(await page.textContent('#model-labels')).toMatch(
        /^disc, ring, square, outline, triangle, plus, cross, h-stripes, v-stripes, checker; mean: assumed: the mean and classes of the current data \(synthetic shapes/,
      );
      await shot(page, 'loaded');
    },
    UPDATE_FIGURES ? 1_800_000 : undefined,
  );

  test('training runs: the iteration counter and the loss chart grow, the loss is finite', async () => {
    const page = session.page();
    await useTinySetup(page);
    expect(await page.textContent('#model-params')).toBe(resnet8Params.toLocaleString('en-US'));
    await page.click('#start');
    // The counter and the chart are read in one task, and the second reading waits for a step after the
    // first: on a fast machine the counter can pass 2 between two separate reads.
    const reading = (): Promise<{ at: number; points: number }> =>
      page.evaluate(() => ({
        at: Number(document.getElementById('iteration')!.dataset.value),
        points: Number(document.getElementById('loss-chart')!.dataset.points),
      }));
    await page.waitForFunction(() => Number(document.getElementById('iteration')!.dataset.value) >= 1, null, { timeout: 120_000 });
    const first = await reading();
    await page.waitForFunction((at) => Number(document.getElementById('iteration')!.dataset.value) > at, first.at, { timeout: 120_000 });
    const second = await reading();
    // Paused at once, so that the next test finds this run mid-way however fast its steps are here.
    await page.click('#pause');
    expect(second.at).toBeLessThan(Number(TINY.iterations));
    expect(first.points).toBeGreaterThanOrEqual(1);
    expect(second.points).toBeGreaterThan(first.points);
    expect(await page.locator('#loss-chart svg path').count()).toBeGreaterThan(0);
    const loss = Number(await page.getAttribute('#loss', 'data-value'));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    expect(Number(await page.textContent('#speed'))).toBeGreaterThan(0);
    await shot(page, 'training');
  });

  test('pause stops the iteration counter, resume continues to the end', async () => {
    const page = session.page();
    // The previous test pressed Pause (at iteration 2 or later); the run stops after its current step.
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
    // The error chart's legend stands beside its plot, where no curve can be, whatever the errors.
    const layout = await page.evaluate(() => {
      const svg = document.querySelector<SVGSVGElement>('#error-chart svg')!;
      const plot = svg.querySelector<SVGRectElement>('rect.plot-area')!.getBBox();
      const legend = svg.querySelector<SVGGElement>('g.legend')!.getBBox();
      return {
        plotRight: plot.x + plot.width,
        legendLeft: legend.x,
        legendRight: legend.x + legend.width,
        width: svg.viewBox.baseVal.width,
      };
    });
    expect(layout.legendLeft).toBeGreaterThanOrEqual(layout.plotRight);
    expect(layout.legendRight).toBeLessThanOrEqual(layout.width);
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
    // With no backend running, nothing that needs one can be clicked.
    for (const id of ['start', 'responses', 'save', 'download', 'use-synthetic']) expect(await page.isDisabled(`#${id}`), id).toBe(true);
    await shot(page, 'no-webgpu-asked-for-webgpu');
    await page.selectOption('#backend', 'auto');
    await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  });

  test('Train and Measure are disabled until the worker and its data are ready, then enabled', async () => {
    const page = session.page();
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    // A new worker (as at page load): in the same task as the change, before it can have answered.
    const atStart = await page.evaluate(() => {
      const select = document.getElementById('backend') as HTMLSelectElement;
      select.value = 'wasm';
      select.dispatchEvent(new Event('change'));
      const disabled = (id: string): boolean => (document.getElementById(id) as HTMLButtonElement).disabled;
      const result = {
        start: disabled('start'),
        responses: disabled('responses'),
        save: disabled('save'),
        ready: document.body.dataset.ready,
      };
      (document.getElementById('start') as HTMLButtonElement).click(); // does nothing: no error about a batch size
      return result;
    });
    expect(atStart).toEqual({ start: true, responses: true, save: true, ready: 'false' });
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    expect(await page.isEnabled('#start')).toBe(true);
    expect(await page.isEnabled('#responses')).toBe(true);
    expect(await page.locator('#errors li').count()).toBe(0);
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

  test("Fashion-MNIST's four IDX files: the net is rebuilt for 28×28×1, trains, and classifies a photo by its luma", async () => {
    const page = session.page();
    await page.setInputFiles('#mnist-files', [files.text]);
    expect(await errorText(page, 'data', 'notes.txt')).toContain(
      "notes.txt is not one of Fashion-MNIST's four files: expected train-images-idx3-ubyte.gz",
    );
    await page.setInputFiles('#mnist-files', files.fashion.slice(0, 3));
    expect(await errorText(page, 'data', 'missing')).toContain('pick all four files of Fashion-MNIST; missing t10k-labels-idx1-ubyte.gz');
    await page.selectOption('#mnist-kind', 'fashion-mnist');
    await page.setInputFiles('#mnist-files', files.fashion);
    await page
      .locator('#data-info', { hasText: 'Fashion-MNIST: 40 training and 10 test images, 28×28 grayscale' })
      .waitFor({ timeout: 60_000 });
    await page.locator('#model-weights', { hasText: 'built for 28×28×1 images' }).waitFor({ timeout: 60_000 });
    expect(await page.textContent('#model-labels')).toMatch(
      /^T-shirt\/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot;/,
    );
    // ResNet-8's conv1 on one channel: 3·3·1·16 weights instead of 3·3·3·16.
    expect(await page.textContent('#model-params')).toBe((resnet8Params - 2 * 144).toLocaleString('en-US'));
    await page.fill('#batch-size', '8');
    await page.fill('#iterations', '2');
    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset.training === 'finished', null, { timeout: 120_000 });
    expect(await page.textContent('#test-error')).toMatch(/^\d+\.\d%$/);
    await page.setInputFiles('#image-file', files.image);
    const result = await top5(page);
    expect(result.labels).toHaveLength(5);
    for (const label of result.labels)
      expect(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']).toContain(label);
    expect(result.sum).toBeCloseTo(1, 5);
    await shot(page, 'fashion-mnist');
  });

  test('on a phone (390 px wide) the page does not scroll sideways', async () => {
    const page = session.page();
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const wide = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        // What sticks out, to name in a failure.
        over: Array.from(document.querySelectorAll<HTMLElement>('body *'))
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
      }));
      expect(wide.over).toEqual([]);
      expect(wide.scrollWidth).toBeLessThanOrEqual(390);
      await shot(page, 'phone-390', true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});

/** PyTorch's top 5 for one image, as test/make_pretrained.py prints it. */
interface TorchTop {
  readonly index: number;
  readonly name: string;
  readonly probability: number;
}

/** `size`×`size` RGB noise around a colour: the fine-tuning classes ("reddish", "bluish" squares). */
function noisySquare(rgb: readonly [number, number, number], seed: number, size = 64): Buffer {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(rgb[i % 3]! + rng.uniform(-50, 50))));
  return encodePng(pixels, size, size);
}

/**
 * A 256×256 image of smooth colour gradients and blobs. At 256×256 the catalogue's "resize the
 * shorter side to 256" leaves it as it is, both in the page (core's decoder skips the resize) and
 * in torchvision (PIL returns a copy when the size is unchanged), and both centre crops start at
 * (16, 16): page and PyTorch see the same 224×224 pixels, so the comparison tests the network and
 * the normalisation, not two resampling filters.
 */
function smoothPhoto(): Buffer {
  const side = 256;
  const pixels = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x / side;
      const v = y / side;
      const blob = Math.exp(-((u - 0.62) ** 2 + (v - 0.4) ** 2) / 0.02);
      const rgb = [
        0.55 + 0.35 * Math.sin(2 * Math.PI * (u + 0.3 * v)) * (1 - blob) + 0.1 * blob,
        0.45 + 0.3 * Math.cos(2 * Math.PI * v * 1.5) - 0.2 * blob,
        0.3 + 0.4 * u * v + 0.5 * blob,
      ];
      for (let c = 0; c < 3; c++) pixels[(y * side + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! * 255)));
    }
  }
  return encodePng(pixels, side, side);
}

/** The rows of a top-5 list (fewer when the head has fewer classes). */
async function topRows(
  page: Page,
  list: string,
  rows: number,
): Promise<{ indices: number[]; labels: string[]; probabilities: number[]; sum: number }> {
  await page.waitForFunction(([id, n]) => document.querySelectorAll(`#${id} li`).length === n, [list, rows] as const, { timeout: 60_000 });
  return page.evaluate((id) => {
    const items = Array.from(document.querySelectorAll<HTMLElement>(`#${id} li`));
    return {
      indices: items.map((r) => Number(r.dataset.index)),
      labels: items.map((r) => r.dataset.label ?? ''),
      probabilities: items.map((r) => Number(r.dataset.probability)),
      sum: Number(document.getElementById(id)!.dataset.sum),
    };
  }, list);
}

async function tensors(page: Page): Promise<number> {
  return Number(await page.evaluate(() => document.body.dataset.tensors ?? 'NaN'));
}

/** Waits until the worker's tensor count, posted after each piece of work, differs from `before`. */
async function tensorsAfter(page: Page, before: number): Promise<number> {
  await page.waitForFunction((b) => Number(document.body.dataset.tensors) !== b, before, { timeout: 60_000 });
  return tensors(page);
}

// Skipped without Debian's PyTorch; the title then says why and how to enable it.
const PRETRAINED_TITLE = `pretrained ImageNet weights (a ResNet-18 .pth made by PyTorch)${torch.available ? '' : `: skipped, ${torch.reason}`}`;
describe.skipIf(!chromium.available || !torch.available)(PRETRAINED_TITLE, () => {
  const session = browserSession({ omitArgs: ['--enable-unsafe-webgpu'], logPrefix: '[chromium, pretrained]' });
  let dir: string;
  let pth: string;
  let reference: Record<string, TorchTop[]>;
  const images: Record<string, string> = {};
  /** A torchvision-layout ResNet-50 at reduced widths with 10 classes, as a .safetensors outside the catalogue. */
  let bottleneck: string;
  /** The worker's tensors before the .pth, with it, and after one fine-tuning. */
  const counts: { before?: number; loaded?: number } = {};

  beforeAll(async () => {
    const started = Date.now();
    dir = await mkdtemp(path.join(os.tmpdir(), 'resnet-web-pth-'));
    images.photo = path.join(dir, 'photo.png');
    await writeFile(images.photo, smoothPhoto());
    for (let i = 0; i < 4; i++) {
      images[`red${i}`] = path.join(dir, `red-${i}.png`);
      images[`blue${i}`] = path.join(dir, `blue-${i}.png`);
      await writeFile(images[`red${i}`]!, noisySquare([200, 60, 50], 100 + i));
      await writeFile(images[`blue${i}`]!, noisySquare([50, 70, 200], 200 + i));
    }
    images.newRed = path.join(dir, 'new-red.png');
    await writeFile(images.newRed, noisySquare([190, 70, 60], 999, 80));
    const out = execFileSync(PYTHON, [path.join(here, 'make_pretrained.py'), dir, images.photo], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const made = JSON.parse(out) as { torch: string; torchvision: string; images: Record<string, TorchTop[]> };
    reference = made.images;
    pth = path.join(dir, 'resnet18-f37072fd.pth');
    console.log(
      `PyTorch ${made.torch}, torchvision ${made.torchvision}: made ${pth} and the reference in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // Made here by core (cpu backend, see the first beforeAll): modelNameFromStateDict reads its
    // blocks, optionsFromStateDict its widths and classes.
    const small50 = createModel('resnet50', { strideIn: '3x3', stemWidth: 8, widths: [4, 8, 16, 32], numClasses: 10, seed: 3 });
    bottleneck = path.join(dir, 'my-resnet50.safetensors');
    await writeFile(bottleneck, await exportSafetensors(small50));
    small50.dispose();
    // A download cut short: the first 5 MB of the 45 MB file.
    await writeFile(path.join(dir, 'cut-short.pth'), (await readFile(pth)).subarray(0, 5_000_000));
    await session.open();
    const page = session.page();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
    // The page's own start (ResNet-20, the synthetic set) is done before anything here is measured.
    await page.locator('#data-info', { hasText: 'synthetic shapes' }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.body.dataset.tensors !== undefined, null, { timeout: 60_000 });
  });
  afterAll(async () => {
    await session.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the .pth loads: ResNet-18 by its catalogue file name, with its parameters, entry and preprocessing', async () => {
    const page = session.page();
    counts.before = await tensors(page);
    const started = Date.now();
    await page.setInputFiles('#pth-file', pth);
    await page.locator('#pth-network', { hasText: 'ResNet-18 (resnet18)' }).waitFor({ timeout: 60_000 });
    counts.loaded = await tensorsAfter(page, counts.before);
    console.log(`loaded the 45 MB .pth in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await page.textContent('#pth-identified')).toContain("by its file name: the catalogue's resnet18.imagenet1k_v1");
    // torchvision's count for ResNet-18, as the catalogue has it.
    expect(await page.textContent('#pth-params')).toBe('11,689,512');
    expect(await page.textContent('#pth-layout')).toContain('basic blocks');
    expect(await page.textContent('#pth-entry')).toContain('resnet18.imagenet1k_v1 (ResNet18_Weights.IMAGENET1K_V1): top-1 69.758%');
    expect(await page.textContent('#pth-preprocessing')).toContain(
      'shorter side resized to 256 (bilinear), centre crop 224×224, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]',
    );
    expect(await page.textContent('#pth-classes')).toBe("ImageNet's 1000 classes");
    // Random weights under the published name: the page says the contents are not the published ones.
    expect(await page.textContent('#pth-sha256')).toContain('does not start with f37072fd');
    expect(await page.textContent('#pth-notes')).toContain('not the published contents');
    expect(await page.locator('#errors li').count()).toBe(0);
  });

  test('a photo is classified as PyTorch classifies it: the same top 5, probabilities within 2e-5', async () => {
    const page = session.page();
    const expected = reference['photo.png']!;
    const started = Date.now();
    await page.setInputFiles('#pth-image', images.photo!);
    const got = await topRows(page, 'pth-top5', 5);
    console.log(
      `classified in ${((Date.now() - started) / 1000).toFixed(1)} s; page ${JSON.stringify(got.probabilities)}, PyTorch ${JSON.stringify(expected.map((t) => t.probability))}`,
    );
    expect(got.indices).toEqual(expected.map((t) => t.index));
    // The page's names are core's IMAGENET_CLASSES; PyTorch's come from torchvision's weights metadata.
    expect(got.labels).toEqual(expected.map((t) => t.name));
    expect(got.labels).toEqual(expected.map((t) => IMAGENET_CLASSES[t.index]));
    // Both sides compute in float32 from the same pixels (see smoothPhoto), in different orders
    // (XNNPACK's and the page's own kernels, BN folded into the convs, vs PyTorch's BN after each
    // conv): the logits differ by float32 rounding over 18 layers, about 1e-6 relative, so
    // probabilities of at most a few tenths differ by well under 2e-5 (here by about 1e-7). A wrong
    // normalisation, layout or BN statistic (even BN's ε at 1e-3 instead of 1e-5) moves them by 1e-3
    // or more.
    got.probabilities.forEach((p, i) => expect(Math.abs(p - expected[i]!.probability)).toBeLessThan(2e-5));
    expect(got.sum).toBeCloseTo(1, 5);
    // Classifying frees what it made.
    expect(await tensors(page)).toBe(counts.loaded);
    await shot(page, 'pretrained-classified', true);
  });

  test('a file cut short, a legacy file, a network that is no ResNet and CIFAR weights are refused clearly; the loaded net stays', async () => {
    const page = session.page();
    const cases: [string, string][] = [
      [
        path.join(dir, 'cut-short.pth'),
        'resnet: cut-short.pth is not a readable PyTorch checkpoint: it has no ZIP end record: the file is truncated or damaged',
      ],
      [path.join(dir, 'legacy.pth'), 'legacy.pth is not a readable PyTorch checkpoint: it is a legacy (pre-1.6, non-zip) torch.save file'],
      [
        path.join(dir, 'not_a_resnet.pth'),
        'not_a_resnet.pth is not a ResNet\'s state dict: it has no tensors named layer<stage>.<block>.… (its 4 tensors start "0.weight"',
      ],
      [files.resnet56, 'resnet56.safetensors holds resnet56, a CIFAR net (32×32 inputs, Sec. 4.2)'],
      [files.text, 'notes.txt: expected a PyTorch checkpoint (.pth or .pt, from torch.save) or a .safetensors state dict'],
    ];
    for (const [file, message] of cases) {
      await page.setInputFiles('#pth-file', file);
      expect(await errorText(page, 'pretrained', path.basename(file))).toContain(message);
    }
    await shot(page, 'pretrained-errors');
    expect(await page.textContent('#pth-network')).toBe('ResNet-18 (resnet18)');
    expect(await tensors(page)).toBe(counts.loaded);
  });

  test('the head is fine-tuned on two classes in the page: the loss goes down, a new image gets its class', async () => {
    const page = session.page();
    // Fewer than two classes is refused in the page.
    await page.fill('#ft-class-name', 'red');
    await page.setInputFiles(
      '#ft-class-files',
      [0, 1, 2, 3].map((i) => images[`red${i}`]!),
    );
    await page.locator('#ft-classes li[data-name="red"][data-images="4"]').waitFor();
    await page.click('#ft-start');
    expect(await errorText(page, 'finetune', 'at least 2 classes')).toContain(
      'fine-tuning needs at least 2 classes, each with at least one image; there is 1 ("red")',
    );
    await page.fill('#ft-class-name', 'blue');
    await page.setInputFiles(
      '#ft-class-files',
      [0, 1, 2, 3].map((i) => images[`blue${i}`]!),
    );
    await page.locator('#ft-classes li[data-name="blue"][data-images="4"]').waitFor();
    // Seconds, not minutes: 20 steps of the 8 images (the default is 30).
    await page.fill('#ft-iterations', '20');
    expect(await page.inputValue('#ft-batch-size')).toBe('8');
    // The default rate (0.001) is for trained weights, whose pooled features have |x|² of about a
    // thousand. This random network's are 20–40 times larger (PyTorch: 1.7e4 for the red squares,
    // 4.3e4 for the blue), and SGD on the head is stable below about 15/|x|², so the rate is
    // scaled down alike; at 0.001 the loss jumps to ~10 before it falls.
    expect(await page.inputValue('#ft-lr')).toBe('0.001');
    await page.fill('#ft-lr', '0.0002');
    const started = Date.now();
    await page.click('#ft-start');
    await page.waitForFunction(() => document.body.dataset.finetune === 'running', null, { timeout: 60_000 });
    await page.waitForFunction(() => Number(document.getElementById('ft-iteration')!.dataset.value) >= 1, null, { timeout: 60_000 });
    await shot(page, 'finetuning');
    await page.waitForFunction(() => document.body.dataset.finetune === 'finished', null, { timeout: 180_000 });
    const seconds = (Date.now() - started) / 1000;
    console.log(`fine-tuned 20 iterations of 8 images in ${seconds.toFixed(1)} s: ${await page.textContent('#ft-state')}`);
    expect(await page.textContent('#ft-iteration')).toBe('20 / 20');
    const first = Number(await page.getAttribute('#ft-first-loss', 'data-value'));
    const last = Number(await page.getAttribute('#ft-loss', 'data-value'));
    expect(first).toBeGreaterThan(0);
    // 1.2 → 0.05 here; half is a margin for the random crops, not the expected drop.
    expect(last).toBeLessThan(first / 2);
    expect(Number(await page.getAttribute('#ft-loss-chart', 'data-points'))).toBe(20);
    expect(await page.inputValue('#pth-head')).toBe('finetuned');
    expect(await page.getAttribute('#pth-classes', 'data-count')).toBe('2');
    expect(await page.textContent('#pth-classes')).toMatch(/^2 classes: red, blue \(fine-tuned head: 20 iterations on 8 images, loss /);
    // A red image the head has not seen.
    await page.setInputFiles('#pth-image', images.newRed!);
    await page.locator('#pth-classified-name', { hasText: 'new-red.png' }).waitFor({ timeout: 60_000 });
    const got = await topRows(page, 'pth-top5', 2);
    expect(got.labels[0]).toBe('red');
    expect(got.labels).toEqual(['red', 'blue']);
    expect(got.sum).toBeCloseTo(1, 5);
    // Everything the run made is freed: the new head's network and its folded twin are as many
    // tensors as the pretrained net and its folded twin.
    expect((await tensors(page)) - counts.loaded!).toBe(counts.loaded! - counts.before!);
    expect(await page.locator('#errors li[data-context="finetune"]').count()).toBe(0);
    await shot(page, 'finetuned', true);
  });

  test("a file outside the catalogue: a .safetensors bottleneck net is read from its tensors, in torchvision's layout, with V1 preprocessing", async () => {
    const page = session.page();
    await page.setInputFiles('#pth-file', bottleneck);
    await page.locator('#pth-network', { hasText: 'ResNet-50 (resnet50)' }).waitFor({ timeout: 60_000 });
    expect(await page.textContent('#pth-identified')).toBe('from its tensors: 3, 4, 6, 3 bottleneck blocks per stage, head fc');
    expect(await page.textContent('#pth-layout')).toBe("bottleneck, stride in the 3×3: torchvision's layout, assumed");
    expect(await page.textContent('#pth-entry')).toBe('none: the file name is not one of the catalogue');
    expect(await page.textContent('#pth-sha256')).toContain('not checked: the file is not in the catalogue');
    const notes = (await page.textContent('#pth-notes')) ?? '';
    expect(notes).toContain('Not in the catalogue, so torchvision\'s layout (stride in the 3×3, "ResNet v1.5") is assumed');
    expect(notes).toContain(
      "classified with torchvision's V1 evaluation transform (shorter side resized to 256 (bilinear), centre crop 224×224",
    );
    expect(await page.textContent('#pth-classes')).toBe("10 classes without names (class 0 … class 9): the file's head is not ImageNet's");
    // The fine-tuned head belonged to the previous network.
    expect(await page.isDisabled('#pth-head option[value="finetuned"]')).toBe(true);
    await page.setInputFiles('#pth-image', images.photo!);
    await page.locator('#pth-classified-name', { hasText: 'photo.png' }).waitFor({ timeout: 60_000 });
    const got = await topRows(page, 'pth-top5', 5);
    for (const label of got.labels) expect(label).toMatch(/^class \d$/);
    expect(got.sum).toBeCloseTo(1, 5);
    expect(await page.locator('#errors li').count()).toBe(0);
    await shot(page, 'pretrained-outside-catalogue');
  });
});
