// docs/api/ must be what TypeDoc makes from the current sources: regenerate into a temp dir and
// compare. TypeDoc runs with treatWarningsAsErrors, so a broken {@link} or an unexported type in the
// public API fails here too.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDiff, diffTrees, listFiles } from '../src/diff_dirs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(here, '..');
const repoRoot = path.resolve(pkgDir, '../..');
const committed = path.join(repoRoot, 'docs/api');
const config = JSON.parse(readFileSync(path.join(pkgDir, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
const typedocBin = path.join(path.dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin/typedoc');

/** A page's description: the first paragraph after its heading and signature; '' when the export has no doc comment. */
function summaryOf(page: string): string {
  const body = page.split(/^# .*$/m)[1] ?? '';
  const first =
    body
      .trim()
      .split(/\n{2,}/)
      .find((block) => !block.startsWith('>')) ?? '';
  return first.startsWith('#') ? '' : first;
}

let fresh = '';
let typedoc: { ok: boolean; output: string } = { ok: false, output: '' };

beforeAll(async () => {
  fresh = mkdtempSync(path.join(tmpdir(), 'resnet-api-docs-'));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [typedocBin, '--options', 'typedoc.json', '--out', fresh], {
      cwd: pkgDir,
      maxBuffer: 16 * 1024 * 1024,
    });
    typedoc = { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    typedoc = { ok: false, output: `${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}, 300_000);

afterAll(() => {
  if (fresh) rmSync(fresh, { recursive: true, force: true });
});

describe('docs/api', () => {
  it('TypeDoc runs without warnings or errors', () => {
    expect(typedoc.ok, typedoc.output).toBe(true);
    expect(typedoc.output).not.toMatch(/\[warning\]|\[error\]/);
  });

  it('is up to date with the sources', () => {
    expect(typedoc.ok, typedoc.output).toBe(true);
    const lines = describeDiff(diffTrees(fresh, committed));
    expect(lines, `docs/api/ is stale (${lines.length} files differ); run pnpm docs:api\n${lines.join('\n')}`).toEqual([]);
  });

  it('documents the key exports of @resnet/core, with their comments', () => {
    const pages = [
      'functions/createModel.md',
      'classes/ResNet.md',
      'classes/Training.md',
      'classes/DataLoader.md',
      'functions/useBackend.md',
      'functions/saveWeights.md',
      'functions/loadModel.md',
      'functions/importSafetensors.md',
      'functions/exportSafetensors.md',
      'functions/evaluate.md',
    ];
    const undocumented: string[] = [];
    for (const page of pages) {
      const text = readFileSync(path.join(fresh, '@resnet/core', page), 'utf8');
      const name = path.basename(page, '.md');
      expect(text, page).toMatch(new RegExp(`^# (Function|Class): ${name}\\b`, 'm'));
      if (!summaryOf(text)) undocumented.push(page);
    }
    expect(undocumented, 'key exports without a doc comment').toEqual([]);
  });

  it('lists every documented package on the index page, with its description', () => {
    const index = readFileSync(path.join(fresh, 'README.md'), 'utf8');
    for (const entry of config.entryPoints) {
      const pkg = JSON.parse(readFileSync(path.resolve(pkgDir, entry, 'package.json'), 'utf8')) as { name: string; description: string };
      expect(index).toContain(`[${pkg.name}](${pkg.name}/README.md)`);
      expect(index).toContain(pkg.description);
      expect(listFiles(path.join(fresh, pkg.name)).length, pkg.name).toBeGreaterThan(1);
    }
  });

  it('does not depend on the machine, the date or the commit', () => {
    const leaks: string[] = [];
    for (const file of listFiles(fresh)) {
      const text = readFileSync(path.join(fresh, file), 'utf8');
      if (text.includes(repoRoot) || /Defined in|\b20\d\d-\d\d-\d\d\b|blob\/[0-9a-f]{7,40}\//.test(text)) leaks.push(file);
    }
    expect(leaks).toEqual([]);
  });
});

describe('diffTrees', () => {
  it('names changed, missing and extra files', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'resnet-diff-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      };
      write('fresh/README.md', 'same');
      write('fresh/a/x.md', 'new');
      write('fresh/a/only-fresh.md', '1');
      write('old/README.md', 'same');
      write('old/a/x.md', 'old');
      write('old/b/only-old.md', '2');
      const diff = diffTrees(path.join(root, 'fresh'), path.join(root, 'old'));
      expect(diff).toEqual({ changed: ['a/x.md'], added: ['a/only-fresh.md'], removed: ['b/only-old.md'] });
      expect(describeDiff(diff)).toEqual(['changed: a/x.md', 'missing: a/only-fresh.md', 'extra: b/only-old.md']);
      expect(describeDiff(diffTrees(path.join(root, 'fresh'), path.join(root, 'fresh')))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('summaryOf', () => {
  it('finds the description after the signature, and none on an undocumented page', () => {
    expect(summaryOf('crumbs\n\n# Function: f()\n\n> **f**(): `void`\n\nDoes f.\n\n## Returns\n\n`void`\n')).toBe('Does f.');
    expect(summaryOf('crumbs\n\n# Class: C\n\nA C.\n\n## Constructors\n')).toBe('A C.');
    expect(summaryOf('crumbs\n\n# Function: g()\n\n> **g**(): `void`\n\n## Returns\n\n`void`\n')).toBe('');
    expect(summaryOf('crumbs\n\n# Class: D\n\n## Constructors\n')).toBe('');
  });
});
