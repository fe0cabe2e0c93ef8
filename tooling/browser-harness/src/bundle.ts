// Bundles a browser entry (TypeScript or JavaScript, ESM) into one ES module with esbuild.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

export interface BundleOptions {
  /** Global constants, e.g. `{ 'globalThis.TINY': 'true' }` (values are JavaScript source). */
  readonly define?: Readonly<Record<string, string>>;
  /** Extra export conditions, tried before `browser`, `import`, `default`. */
  readonly conditions?: readonly string[];
  /** Packages to leave as bare imports (served separately, or never reached). */
  readonly external?: readonly string[];
  /** Default false: tests read better unminified stack traces. */
  readonly minify?: boolean;
  /** Default `'inline'`, so page errors point into the sources. */
  readonly sourcemap?: boolean | 'inline' | 'external' | 'linked';
  /** Default `'es2022'` (what the packages are compiled to). */
  readonly target?: string | readonly string[];
}

export interface BundleResult {
  readonly outfile: string;
  readonly bytes: number;
  /** esbuild's warnings, formatted (errors throw). */
  readonly warnings: readonly string[];
}

/**
 * Bundles `entry` into `outfile` for browsers: platform browser, format esm. Packages, workspace ones
 * included, resolve through their `exports` with the `browser` condition (then `import`, `default`)
 * and otherwise through the `browser`, `module` and `main` fields, so Node-only entry points (such
 * as @resnet/backend-webgpu's Dawn set-up) stay out. Throws with esbuild's messages on errors.
 */
export async function bundle(entry: string, outfile: string, options: BundleOptions = {}): Promise<BundleResult> {
  await mkdir(path.dirname(path.resolve(outfile)), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: options.target ? [...[options.target].flat()] : 'es2022',
    conditions: [...(options.conditions ?? []), 'browser'],
    mainFields: ['browser', 'module', 'main'],
    define: { 'process.env.NODE_ENV': '"production"', ...options.define },
    external: [...(options.external ?? [])],
    minify: options.minify ?? false,
    sourcemap: options.sourcemap ?? 'inline',
    metafile: true,
    logLevel: 'silent',
  });
  const warnings = await esbuild.formatMessages(result.warnings, { kind: 'warning', color: false });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'));
  return { outfile, bytes: output?.[1].bytes ?? 0, warnings };
}
