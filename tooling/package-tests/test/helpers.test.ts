// The checks the pack test relies on must be able to fail: each one against a bad input.
import { describe, expect, test } from 'vitest';
import { lastJson, run } from '../src/exec.js';
import { entryPoints, exportConditionOrders, testFiles, workspaceRanges } from '../src/tarball.js';
import { readTscOutput } from '../src/typecheck.js';
import { publishablePackages, workspacePackages } from '../src/workspace.js';

describe('tarball checks', () => {
  test('entryPoints collects every exports target, main, types and bin', () => {
    const manifest = {
      name: 'x',
      version: '1.0.0',
      main: './dist/index.js',
      bin: { x: './bin/x.js' },
      exports: {
        '.': { types: './dist/index.d.ts', node: './dist/node.js', default: './dist/index.js' },
        './package.json': './package.json',
      },
    };
    expect(entryPoints(manifest)).toEqual(['bin/x.js', 'dist/index.d.ts', 'dist/index.js', 'dist/node.js', 'package.json']);
  });

  test('exportConditionOrders shows a types condition that is not first', () => {
    expect(exportConditionOrders({ name: 'x', version: '1.0.0', exports: { '.': { import: './a.js', types: './a.d.ts' } } })).toEqual({
      '.': ['import', 'types'],
    });
  });

  test('workspaceRanges finds workspace: ranges in every dependency field', () => {
    const manifest = {
      name: 'x',
      version: '1.0.0',
      dependencies: { a: '^1.0.0', b: 'workspace:^' },
      peerDependencies: { c: 'workspace:*' },
    };
    expect(workspaceRanges(manifest)).toEqual(['dependencies.b: workspace:^', 'peerDependencies.c: workspace:*']);
  });

  test('testFiles finds test directories, *.test.* and *.spec.* files', () => {
    const files = [
      'dist/index.js',
      'src/training/step.ts',
      'test/a.ts',
      'src/x.test.ts',
      'dist/y.spec.js',
      'test/fixtures/f.json',
      'vitest.config.ts',
    ];
    expect(testFiles(files)).toEqual(['test/a.ts', 'src/x.test.ts', 'dist/y.spec.js', 'test/fixtures/f.json', 'vitest.config.ts']);
  });
});

test('readTscOutput separates errors in our files from errors inside tfjs declarations', () => {
  const output = [
    "node_modules/@tensorflow/tfjs-core/dist/hash_util.d.ts(2,49): error TS2304: Cannot find name 'Long'.",
    "node_modules/@resnet/core/dist/index.d.ts(3,1): error TS2307: Cannot find module './nope.js'.",
    "consumer.ts(30,1): error TS2578: Unused '@ts-expect-error' directive.",
  ].join('\n');
  const { ours, upstream } = readTscOutput(output);
  expect(upstream).toHaveLength(1);
  expect(ours).toHaveLength(2);
});

test('the workspace has private tooling and publishable libraries', () => {
  const all = workspacePackages();
  expect(all.find((p) => p.name === '@resnet/browser-harness')?.private).toBe(true);
  expect(publishablePackages().map((p) => p.name)).not.toContain('@resnet/package-tests');
  expect(publishablePackages().find((p) => p.name === '@resnet/core')?.dir).toBe('packages/core');
});

describe('run', () => {
  test('a failing command throws with its exit code and output', async () => {
    const failing = run(process.execPath, ['-e', 'console.log("out-text"); console.error("err-text"); process.exit(3)'], {
      cwd: process.cwd(),
    });
    await expect(failing).rejects.toThrow(/exited with 3[\s\S]*out-text[\s\S]*err-text/);
  });

  test('lastJson reads the last JSON line, and says what it saw when there is none', async () => {
    const ok = await run(process.execPath, ['-e', 'console.log("noise"); console.log(JSON.stringify({ a: 1 }))'], { cwd: process.cwd() });
    expect(lastJson<{ a: number }>(ok)).toEqual({ a: 1 });
    expect(() => lastJson({ stdout: 'no json', stderr: 'boom', code: 0, ms: 0 })).toThrow(/no json[\s\S]*boom/);
  });
});
