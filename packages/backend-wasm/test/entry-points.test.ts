// The two entry points: the browser one imports no Node module and takes its .wasm location from
// setWasmPaths; the built package resolves to the Node one under Node, runs threaded there, and
// lets the process exit.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { MAX_THREADS } from '../src/backend.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, '..');

/** Bare imports reachable from a source file through relative imports. */
function bareImports(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(file)) return found;
  seen.add(file);
  // Comments may show imports (the README example in index.ts): drop them.
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  for (const match of source.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? match[4]!;
    if (specifier.startsWith('.')) {
      const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
      for (const s of bareImports(target, seen)) found.add(s);
    } else {
      found.add(specifier);
    }
  }
  return found;
}

describe('the browser entry point (index.ts)', () => {
  test('reaches no Node module, and not the Node entry', () => {
    const seen = new Set<string>();
    const imports = bareImports(path.join(packageDir, 'src/index.ts'), seen);
    const node = [...imports].filter((s) => s.startsWith('node:') || builtinModules.includes(s));
    expect(node).toEqual([]);
    expect([...seen].some((f) => f.endsWith('node.ts'))).toBe(false);
    expect([...imports].sort()).toEqual([
      '@resnet/core',
      '@tensorflow/tfjs-backend-wasm',
      // tfjs's threaded glue and its worker script, which browser_threads.ts starts itself.
      '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
      '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
      '@tensorflow/tfjs-core',
    ]);
  });

  test('setWasmPaths tells tfjs where the .wasm files are', async () => {
    const { setWasmPaths, wasmBackend } = await import('../src/index.js');
    expect((await wasmBackend.probe()).details!['wasmFiles']).toMatch(/next to the tfjs-backend-wasm script/);
    const installed =
      path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/';
    setWasmPaths(installed);
    // Under Node, tfjs itself never runs its threaded build (its browser loader cannot start workers here).
    const status = await useBackend('wasm');
    expect(status).toMatchObject({ name: 'wasm', available: true, device: 'WebAssembly (SIMD, 1 thread)' });
    expect(status.details!['wasmFiles']).toBe(installed);
    const g = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')))(
      tf.ones([2, 2, 1, 1]),
    );
    expect(Array.from(await g.data())).toEqual([4, 4, 4, 4]);
  });
});

describe('the built package (exports → node)', () => {
  test('resolves to dist/node.js, starts the threaded build, and the process exits by itself', () => {
    expect(existsSync(path.join(packageDir, 'dist/node.js')), 'build the package first (pnpm build)').toBe(true);
    const script = [
      "import { useBackend } from '@resnet/core';",
      "import * as tf from '@tensorflow/tfjs-core';",
      "const entry = import.meta.resolve('@resnet/backend-wasm');",
      "await import('@resnet/backend-wasm');",
      "const status = await useBackend('wasm');",
      'const y = tf.conv2d(tf.ones([1, 8, 8, 4]), tf.ones([3, 3, 4, 4]), 1, "same");',
      // Pixel (1, 1), channel 0: an interior pixel, 3·3 taps × 4 channels of ones.
      'console.log(JSON.stringify({ entry, status, y: (await y.data())[(1 * 8 + 1) * 4] }));',
    ].join('\n');
    // No process.exit: if XNNPACK's worker threads held the event loop, this would time out.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const { entry, status, y } = JSON.parse(out.trim().split('\n').pop()!);
    expect(entry).toMatch(/\/dist\/node\.js$/);
    const threads = Math.min(MAX_THREADS, os.availableParallelism());
    expect(status.details).toMatchObject({ threads: String(threads), simd: 'yes' });
    expect(y).toBe(36);
  });

  test("an uncaught error of the user's own after the backend started is Node's own report (exit 1), not the Emscripten glue's", () => {
    for (const [what, line, wanted] of [
      ['a throw', "throw new Error('my bug');", /^Error: my bug$/m],
      ['a rejection', "Promise.reject(new Error('my rejected bug'));", /Error: my rejected bug/],
    ] as const) {
      const script = [
        "import { useBackend } from '@resnet/core';",
        "import '@resnet/backend-wasm';",
        "await useBackend('wasm');",
        line,
      ].join('\n');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, what).toBe(1);
      expect(r.stderr, what).toMatch(wanted);
      expect(r.stderr, what).not.toMatch(/wasm-out|tfjs-backend-wasm/);
      expect(r.stderr.length, what).toBeLessThan(2_000);
    }
  });
});
