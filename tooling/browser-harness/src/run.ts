// The common case in one call: bundle an entry, serve it in a page, and return what it computed.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundle, type BundleOptions } from './bundle.js';
import { withChromium, type ChromiumOptions } from './chromium.js';
import { serve } from './serve.js';

/** The global an entry sets to the promise of its result (see runInChromium). */
export const RESULT_GLOBAL = '__harnessResult';

export interface RunOptions extends ChromiumOptions {
  readonly bundle?: BundleOptions;
  /** The page's title; default `browser-harness`. */
  readonly title?: string;
  /** Files served beside the bundle, by name: e.g. the .wasm binaries a wasm backend fetches. */
  readonly assets?: Readonly<Record<string, string>>;
}

/**
 * Bundles `entry` for browsers, serves it from a temporary directory (cross-origin isolated), opens it
 * in headless Chromium and returns the value of the promise the entry stored in
 * `globalThis.__harnessResult`, which must be structured-cloneable (use plain arrays rather than
 * typed arrays). A rejection, or a page error before the entry sets the global, rejects here.
 *
 * ```ts
 * // entry.ts
 * (globalThis as any).__harnessResult = (async () => ({ sum: 1 + 1 }))();
 * ```
 */
export async function runInChromium<T>(entry: string, options: RunOptions = {}): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'resnet-page-'));
  try {
    await bundle(entry, path.join(dir, 'main.js'), options.bundle);
    for (const [name, source] of Object.entries(options.assets ?? {})) await copyFile(source, path.join(dir, name));
    const title = (options.title ?? 'browser-harness').replace(/[<>&]/g, '');
    await writeFile(
      path.join(dir, 'index.html'),
      `<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<title>${title}</title>\n<script type="module" src="./main.js"></script>\n`,
    );
    const server = await serve(dir);
    try {
      return await withChromium(async (page) => {
        // The first page error fails the run, even one thrown while the page loads.
        const failed = new Promise<never>((_, reject) => {
          page.on('pageerror', (error) => reject(new Error(`page error: ${error.message}`)));
        });
        failed.catch(() => {}); // handled by the race below; not an unhandled rejection meanwhile
        const result = (async () => {
          await page.goto(server.url);
          await page.waitForFunction((name) => name in globalThis, RESULT_GLOBAL, { timeout: 60_000 });
          return page.evaluate((name) => (globalThis as unknown as Record<string, Promise<unknown>>)[name], RESULT_GLOBAL) as Promise<T>;
        })();
        result.catch(() => {}); // once the race is lost, closing the browser rejects it
        return Promise.race([result, failed]);
      }, options);
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
