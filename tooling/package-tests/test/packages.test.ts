// The packages as users get them: packed with pnpm, installed with npm into a new project in the
// OS temp directory (outside the workspace, so nothing resolves from its node_modules), then used
// there from Node, from TypeScript, from the `resnet` command and from a browser bundle.
import { chromiumAvailable, serve, withChromium } from '@resnet/browser-harness';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lastJson, run } from '../src/exec.js';
import { ONEDNN, prebuiltTarball } from '../src/onednn.js';
import { createProject, lockEntries, type Project } from '../src/project.js';
import {
  brokenSourceMaps,
  entryPoints,
  exportConditionOrders,
  packAll,
  testFiles,
  unpack,
  workspaceRanges,
  type Tarball,
} from '../src/tarball.js';
import { readTscOutput } from '../src/typecheck.js';
import { WORKSPACE_ROOT, publishablePackages } from '../src/workspace.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(HERE, 'fixtures');
const PACKAGES = publishablePackages();
const CORE_VERSION = PACKAGES.find((p) => p.name === '@resnet/core')?.version;
const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED (browser bundle in Chromium): ${chromium.reason}`);
/** CI (.ci/run): the onednn prebuild must be made and must load; elsewhere its absence is a skip. */
const ONEDNN_REQUIRED = process.env.RESNET_ONEDNN_REQUIRED === '1';

const timings: Record<string, number> = {};
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = Date.now() - start;
  }
}

let work: string;
let tarballs: Map<string, string>;
/** What the project installs: the tarballs, with @resnet/backend-onednn's carrying its prebuilt addon when one could be made. */
let installed: Map<string, string>;
let onednnPrebuilt: { file: string; log: string } | { skipped: string };
const unpacked = new Map<string, Tarball>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'resnet-pack-'));
  tarballs = await timed('pnpm pack', () => packAll(PACKAGES, path.join(work, 'tarballs')));
  for (const [name, file] of tarballs) unpacked.set(name, await unpack(file, path.join(work, 'unpacked', name.replace('/', '+'))));
  onednnPrebuilt = await timed('onednn prebuild', () => prebuiltTarball(tarballs.get(ONEDNN)!, work));
  if ('skipped' in onednnPrebuilt) console.log(`SKIPPED (onednn prebuilt addon): ${onednnPrebuilt.skipped}`);
  else console.log(onednnPrebuilt.log);
  installed = new Map(tarballs);
  if ('file' in onednnPrebuilt) installed.set(ONEDNN, onednnPrebuilt.file);
});

afterAll(async () => {
  console.log(`timings (ms): ${JSON.stringify(timings)}`);
  if (work) await rm(work, { recursive: true, force: true });
});

test('the publishable packages are the ones this package depends on, so turbo builds them first', async () => {
  const own = JSON.parse(await readFile(path.join(HERE, '../package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  expect(PACKAGES.map((p) => p.name)).toContain('@resnet/core');
  for (const p of PACKAGES) expect(own.devDependencies[p.name], `${p.name} missing from devDependencies`).toBe('workspace:*');
});

describe.each(PACKAGES)('tarball of $name', (pkg) => {
  const tarball = (): Tarball => unpacked.get(pkg.name)!;

  test('holds every file its exports, main, types and bin name, and LICENSE and README.md', () => {
    const { files, manifest } = tarball();
    const entries = entryPoints(manifest);
    // The libraries' entry is dist/index; the CLI's is its bin and dist/main.
    expect(entries).toEqual(
      expect.arrayContaining(
        pkg.name === '@resnet/cli' ? ['bin/resnet.js', 'dist/main.js', 'dist/main.d.ts'] : ['dist/index.js', 'dist/index.d.ts'],
      ),
    );
    const needed = [...entries, 'LICENSE', 'README.md', 'package.json'];
    expect(needed.filter((f) => !files.includes(f))).toEqual([]);
  });

  test('has no workspace: ranges, no test files and no broken source maps', async () => {
    const t = tarball();
    expect(workspaceRanges(t.manifest)).toEqual([]);
    expect(testFiles(t.files)).toEqual([]);
    expect(await brokenSourceMaps(t)).toEqual([]);
  });

  test('says what it is, where it comes from, and what it needs', () => {
    const { manifest } = tarball();
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.repository?.directory).toBe(pkg.dir);
    expect(manifest.publishConfig?.access).toBe('public');
    for (const [subpath, conditions] of Object.entries(exportConditionOrders(manifest))) {
      expect(conditions[0], `exports["${subpath}"]: "types" must come first`).toBe('types');
    }
    const tfjs = manifest.peerDependencies?.['@tensorflow/tfjs-core'] ?? manifest.dependencies?.['@tensorflow/tfjs-core'];
    expect(tfjs).toBe('^4.22.0');
    if (pkg.name !== '@resnet/core' && pkg.name !== '@resnet/cli')
      expect(manifest.peerDependencies?.['@resnet/core']).toBe(`^${CORE_VERSION}`);
  });
});

describe('@resnet/backend-onednn without a prebuild, where no oneDNN can be found', () => {
  test('npm install succeeds, and the backend says it is not available, why, and what fixes it', async () => {
    const subset = new Map([...tarballs].filter(([name]) => name === ONEDNN || name === '@resnet/core'));
    // RESNET_ONEDNN_SEARCH: the build script looks for oneDNN there only (this machine may well have it).
    const env = { RESNET_ONEDNN_SEARCH: path.join(work, 'no-onednn-here'), RESNET_ONEDNN_REQUIRED: undefined };
    const project = await timed('npm install (onednn, no prebuild)', () =>
      createProject(path.join(work, 'project-no-onednn'), subset, { userDependencies: { '@tensorflow/tfjs-core': '^4.22.0' }, env }),
    );
    await cp(path.join(FIXTURES, 'onednn.mjs'), path.join(project.dir, 'onednn.mjs'));
    const result = lastJson<{
      probe: { available: boolean; reason?: string };
      byNameError: string | null;
      buildStatus: { built: boolean; reason?: string } | null;
      builtFromSource: boolean;
    }>(await run(process.execPath, ['onednn.mjs', '--probe'], { cwd: project.dir }));
    console.log(`onednn without oneDNN: ${JSON.stringify(result)}`);
    expect(result.probe.available).toBe(false);
    expect(result.builtFromSource).toBe(false);
    const reason = result.probe.reason!;
    expect(result.buildStatus?.reason).toBe(reason);
    expect(reason).toContain('oneDNN was not found');
    expect(reason).toContain('no-onednn-here');
    for (const fix of ['apt-get install libdnnl-dev', 'brew install onednn', 'npm rebuild @resnet/backend-onednn'])
      expect(reason).toContain(fix);
    // Asked for by name, it is refused with that reason (never replaced by another backend).
    expect(result.byNameError).toContain(reason);
  });
});

describe('installed with npm into a new project', () => {
  let project: Project;

  beforeAll(async () => {
    project = await timed('npm install', () => createProject(path.join(work, 'project'), installed));
    await cp(FIXTURES, project.dir, { recursive: true });
  });

  test('every @resnet package comes from its tarball, once, never from the registry', () => {
    expect(project.dir.startsWith(WORKSPACE_ROOT)).toBe(false);
    for (const [name, file] of installed) {
      const entries = lockEntries(project.lock, name);
      expect(
        entries.map(([at]) => at),
        name,
      ).toEqual([`node_modules/${name}`]);
      expect(entries[0]![1].resolved, name).toBe(`file:${path.relative(project.dir, file)}`);
    }
    const strays = Object.entries(project.lock).filter(
      ([at, entry]) => at.includes('node_modules/@resnet/') && !entry.resolved?.startsWith('file:'),
    );
    expect(strays).toEqual([]);
  });

  test('Node: trains a tiny ResNet on wasm for a few steps, leaving no tensors behind', async () => {
    const result = lastJson<{
      backend: string;
      provider: string;
      ownKernels: string | null;
      losses: number[];
      tensorsBefore: number;
      tensorsDuring: number;
      tensorsAfter: number;
      resolved: Record<string, string>;
    }>(await timed('node train.mjs', () => run(process.execPath, ['train.mjs'], { cwd: project.dir })));
    console.log(`node: ${JSON.stringify(result)}`);
    expect(result.backend).toBe('wasm');
    expect(result.provider).toBe('wasm');
    // The tarball ships the C kernel module (wasm/), and the installed package loads it from there.
    expect(result.ownKernels).toMatch(/^loaded: resnet-kernels-(threaded-)?simd\.wasm from /);
    expect(result.ownKernels).toContain(path.join(project.dir, 'node_modules', '@resnet', 'backend-wasm', 'wasm', 'resnet-kernels-'));
    expect(result.losses).toHaveLength(3);
    for (const loss of result.losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(result.tensorsDuring).toBeGreaterThan(result.tensorsBefore);
    expect(result.tensorsAfter).toBe(result.tensorsBefore);
    for (const [name, url] of Object.entries(result.resolved)) {
      expect(fileURLToPath(url).startsWith(path.join(project.dir, 'node_modules', name)), `${name} → ${url}`).toBe(true);
    }
  });

  test('onednn: a prebuilt addon is made for the tarball here (CI must have one)', () => {
    if (ONEDNN_REQUIRED)
      expect('skipped' in onednnPrebuilt ? onednnPrebuilt.skipped : undefined, 'RESNET_ONEDNN_REQUIRED=1').toBeUndefined();
    expect(installed.get(ONEDNN)).toBe('file' in onednnPrebuilt ? onednnPrebuilt.file : tarballs.get(ONEDNN));
  });

  test('Node: the tarball’s prebuilt onednn addon loads (no build from source, its own libdnnl), convolves as cpu does and trains', async (context) => {
    if ('skipped' in onednnPrebuilt) return context.skip(onednnPrebuilt.skipped);
    const result = lastJson<{
      backend: string;
      provider: string;
      details: Record<string, string>;
      convSize: number;
      convMaxDiff: number;
      losses: number[];
      tensorsBefore: number;
      tensorsAfter: number;
      libraries: Record<string, string>;
      packageDir: string;
      buildStatus: { built: boolean; prebuilt?: string } | null;
      builtFromSource: boolean;
    }>(await timed('node onednn.mjs', () => run(process.execPath, ['onednn.mjs'], { cwd: project.dir })));
    console.log(`onednn: ${JSON.stringify(result)}`);
    const prebuilds = path.join(project.dir, 'node_modules', ONEDNN, 'prebuilds', `${process.platform}-${process.arch}`);
    expect(result.packageDir).toBe(path.join(project.dir, 'node_modules', ONEDNN));
    // The install script took the prebuild: it says so, and node-gyp never ran.
    expect(result.buildStatus).toMatchObject({ built: false, prebuilt: path.join(prebuilds, 'resnet_onednn.node') });
    expect(result.builtFromSource).toBe(false);
    expect(result.backend).toBe('onednn');
    expect(result.provider).toBe('onednn');
    expect(result.details.onednn).toMatch(/^\d+\.\d+\.\d+$/);
    expect(result.details.addon).toBe(path.join(prebuilds, 'resnet_onednn.node'));
    // Every native library came from the prebuild's directory, not from the system.
    expect(Object.keys(result.libraries).sort()).toEqual(['libOpenCL.so.1', 'libdnnl.so.2', 'libgomp.so.1', 'resnet_onednn.node']);
    for (const [name, file] of Object.entries(result.libraries)) expect(file, name).toBe(path.join(prebuilds, name));
    expect(result.convSize).toBe(2 * 5 * 5 * 8);
    expect(result.convMaxDiff).toBeLessThan(1e-4);
    expect(result.losses).toHaveLength(2);
    for (const loss of result.losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(result.tensorsAfter).toBe(result.tensorsBefore);
  });

  test.each(['nodenext', 'bundler'])('types: the public API typechecks with moduleResolution %s', async (resolution) => {
    const tsc = path.join(project.dir, 'node_modules/typescript/bin/tsc');
    const result = await timed(`tsc ${resolution}`, () =>
      run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: project.dir, allowExitCode: true }),
    );
    const { ours, upstream } = readTscOutput(result.stdout);
    if (upstream.length > 0)
      console.log(`tsc ${resolution}: ${upstream.length} errors inside tfjs's own declarations, not ours:\n${upstream.join('\n')}`);
    expect(ours, result.stdout).toEqual([]);
    // Anything else that made tsc fail (a bad config prints no "file(line,col)") must show up too.
    if (upstream.length === 0) expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  test('CLI: `npx resnet summary resnet20` prints 269,722 parameters', async () => {
    const text = await timed('resnet summary', () => run('npx', ['--no-install', 'resnet', 'summary', 'resnet20'], { cwd: project.dir }));
    expect(text.stdout).toMatch(/parameters: 269,722\b/);
    const json = JSON.parse(
      (await run('npx', ['--no-install', 'resnet', 'summary', 'resnet20', '--json'], { cwd: project.dir })).stdout,
    ) as { params: number };
    expect(json.params).toBe(269_722);
  });

  test.skipIf(!chromium.available)(
    'browser: the project’s esbuild bundles core + webgpu; in Chromium it picks WebGPU, runs a forward pass and trains a step',
    async () => {
      const www = path.join(project.dir, 'www');
      const esbuild = path.join(project.dir, 'node_modules/.bin/esbuild');
      await timed('esbuild', () =>
        run(
          esbuild,
          [
            'browser-entry.mjs',
            '--bundle',
            '--platform=browser',
            '--format=esm',
            '--target=es2022',
            `--outfile=${www}/main.js`,
            `--metafile=${www}/meta.json`,
            '--log-level=warning',
          ],
          {
            cwd: project.dir,
          },
        ),
      );
      // What went into the bundle: the installed packages' browser builds, nothing from outside the project, no Dawn.
      const inputs = Object.keys(
        (JSON.parse(await readFile(path.join(www, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> }).inputs,
      );
      expect(inputs).toContain('node_modules/@resnet/backend-webgpu/dist/index.js');
      expect(inputs).toContain('node_modules/@resnet/core/dist/index.js');
      expect(inputs.filter((f) => f.startsWith('..') || path.isAbsolute(f))).toEqual([]);
      expect(inputs.filter((f) => f.startsWith('node_modules/webgpu/') || f.endsWith('backend-webgpu/dist/node.js'))).toEqual([]);
      await writeFile(
        path.join(www, 'index.html'),
        '<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<script type="module" src="./main.js"></script>\n',
      );

      const server = await serve(www);
      const result = await timed('chromium', async () => {
        try {
          return await withChromium(async (page) => {
            const failed = new Promise<never>((_, reject) =>
              page.on('pageerror', (error) => reject(new Error(`page error: ${error.message}`))),
            );
            failed.catch(() => {}); // raced below
            const done = (async () => {
              await page.goto(server.url);
              await page.waitForFunction(() => '__packResult' in globalThis, undefined, { timeout: 60_000 });
              return page.evaluate(() => (globalThis as unknown as { __packResult: Promise<unknown> }).__packResult);
            })();
            done.catch(() => {}); // once the race is lost, closing the browser rejects it
            return (await Promise.race([done, failed])) as {
              backend: string;
              provider: string;
              device: string | null;
              details: Record<string, string>;
              crossOriginIsolated: boolean;
              logitsShape: number[];
              logitsFinite: boolean;
              loss: number;
              tensorsBefore: number;
              tensorsAfter: number;
            };
          });
        } finally {
          await server.close();
        }
      });
      console.log(`chromium: ${JSON.stringify(result)}`);
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.backend).toBe('webgpu');
      expect(result.provider).toBe('webgpu');
      expect(result.device).toEqual(expect.any(String));
      expect(result.details['adapter.vendor'] ?? result.details['adapter.architecture']).toEqual(expect.any(String));
      expect(result.logitsShape).toEqual([2, 10]);
      expect(result.logitsFinite).toBe(true);
      expect(Number.isFinite(result.loss) && result.loss > 0).toBe(true);
      expect(result.tensorsAfter).toBe(result.tensorsBefore);
    },
  );
});
