import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { CHROMIUM_ARGS, bundle, chromiumAvailable, runInChromium, serve, withChromium } from '../src/index.js';
import type { GpuPageResult } from './fixtures/gpu-page.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'browser-harness-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: the tests that open Chromium: ${chromium.reason}`);

/** A raw GET, so that paths reach the server as written (fetch would normalise `..`). */
function get(
  url: string,
  rawPath: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve', () => {
  test('serves files on loopback with their MIME types, cross-origin isolated, never cached', async () => {
    const root = path.join(tmp, 'site');
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><p>hi</p>');
    await writeFile(path.join(root, 'main.js'), 'export {};');
    await writeFile(path.join(root, 'sub', 'kernel.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    await writeFile(path.join(root, 'weights.json'), '{}');
    const server = await serve(root);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const cases: Array<[string, string]> = [
        ['/', 'text/html; charset=utf-8'],
        ['/main.js', 'text/javascript; charset=utf-8'],
        ['/sub/kernel.wasm', 'application/wasm'],
        ['/weights.json', 'application/json; charset=utf-8'],
      ];
      for (const [file, type] of cases) {
        const res = await get(server.url, file);
        expect(res.status, file).toBe(200);
        expect(res.headers['content-type'], file).toBe(type);
        expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
        expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect((await get(server.url, '/')).body).toContain('<p>hi</p>');
      expect((await get(server.url, '/sub/kernel.wasm', 'HEAD')).headers['content-length']).toBe('8');
      expect((await get(server.url, '/missing.js')).status).toBe(404);
      expect((await get(server.url, '/..%2f..%2fetc%2fpasswd')).status).toBe(403); // `..` encoded past URL normalisation
      expect((await get(server.url, '/', 'POST')).status).toBe(405);
    } finally {
      await server.close();
    }
    await expect(get(server.url, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('bundle', () => {
  test('bundles TypeScript for browsers, resolving packages through the browser export condition', async () => {
    const project = path.join(tmp, 'project');
    const pkg = path.join(project, 'node_modules', 'dual');
    await mkdir(pkg, { recursive: true });
    await writeFile(
      path.join(pkg, 'package.json'),
      JSON.stringify({
        name: 'dual',
        type: 'module',
        exports: { '.': { node: './node.js', browser: './browser.js', default: './default.js' } },
      }),
    );
    await writeFile(path.join(pkg, 'node.js'), "import 'node:fs'; export const where = 'node';");
    await writeFile(path.join(pkg, 'browser.js'), "export const where = 'browser';");
    await writeFile(path.join(pkg, 'default.js'), "export const where = 'default';");
    await writeFile(
      path.join(project, 'entry.ts'),
      "import { where } from 'dual';\nconst n: number = 2;\nexport const result = `${where} ${n}`;\n",
    );
    const out = path.join(tmp, 'out', 'entry.js');
    const result = await bundle(path.join(project, 'entry.ts'), out, { sourcemap: false });
    expect(result).toMatchObject({ outfile: out, warnings: [] });
    expect(result.bytes).toBeGreaterThan(0);
    const code = await readFile(out, 'utf8');
    expect(code).toContain('"browser"');
    expect(code).not.toMatch(/node:fs|"node"|"default"/);
    expect(code).toMatch(/export\s*\{/); // format esm
    const mod = (await import(out)) as { result: string };
    expect(mod.result).toBe('browser 2');
  });

  test("fails with esbuild's message when an import cannot be resolved", async () => {
    const entry = path.join(tmp, 'broken.ts');
    await writeFile(entry, "import 'no-such-package-anywhere';\n");
    await expect(bundle(entry, path.join(tmp, 'out', 'broken.js'))).rejects.toThrow(/no-such-package-anywhere/);
  });
});

describe('Chromium', () => {
  test('chromiumAvailable says what to install when the executable is missing', () => {
    const missing = chromiumAvailable({ executablePath: '/nonexistent/chromium' });
    expect(missing).toMatchObject({ available: false, executablePath: '/nonexistent/chromium' });
    expect(missing.reason).toContain('apt-get install -y chromium');
    expect(chromium.executablePath).toBe(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
    expect(CHROMIUM_ARGS).toContain('--enable-unsafe-webgpu');
  });

  test.skipIf(!chromium.available)('a served page is cross-origin isolated and reads navigator.gpu and its adapter', async () => {
    const site = path.join(tmp, 'gpu-site');
    await bundle(path.join(fixtures, 'gpu-page.ts'), path.join(site, 'main.js'));
    await writeFile(
      path.join(site, 'index.html'),
      '<!doctype html><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>',
    );
    const server = await serve(site);
    const messages: string[] = [];
    try {
      const result = await withChromium(
        async (page) => {
          await page.goto(server.url);
          await page.waitForFunction(() => '__harnessResult' in globalThis);
          return page.evaluate(() => (globalThis as unknown as { __harnessResult: Promise<GpuPageResult> }).__harnessResult);
        },
        { onConsole: (type, text) => messages.push(`${type}: ${text}`), logPrefix: '[chromium harness]' },
      );
      console.log('adapter in Chromium:', JSON.stringify(result.adapter), result.userAgent);
      expect(result).toMatchObject({ crossOriginIsolated: true, sharedArrayBuffer: true, secureContext: true, hasGpu: true });
      expect(result.adapter, 'no adapter despite --enable-unsafe-webgpu').not.toBeNull();
      expect(result.adapter!.vendor).toMatch(/\S/);
      expect(result.userAgent).toMatch(/HeadlessChrome\/\d+/);
      expect(messages).toContain('log: gpu-page: navigator.gpu present');
    } finally {
      await server.close();
    }
  });

  test.skipIf(!chromium.available)("runInChromium returns what the page computed, and rejects with the page's error", async () => {
    const result = await runInChromium<GpuPageResult>(path.join(fixtures, 'gpu-page.ts'));
    expect(result.crossOriginIsolated).toBe(true);
    await expect(runInChromium(path.join(fixtures, 'throws.ts'))).rejects.toThrow(/page error: .*this page fails on purpose/);
  });
});
