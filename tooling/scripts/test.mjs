#!/usr/bin/env node
// `pnpm test`: lint, typecheck and test every package through turbo (cached), then one closing line
// summed over all packages, "N passed, N failed, N skipped", and turbo's exit code.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = '.test-results/vitest.json';
const packageDirs = ['packages', 'apps', 'tooling'].flatMap((group) => {
  const dir = path.join(root, group);
  return existsSync(dir) ? readdirSync(dir).map((name) => path.join(dir, name)) : [];
});

// Stale results must not count: turbo restores them from its cache when it replays a package.
for (const dir of packageDirs) rmSync(path.join(dir, '.test-results'), { recursive: true, force: true });

// The formatter first (.prettierrc.json; `pnpm format` applies it): a file it would change fails the run.
const prettier = path.join(root, 'node_modules', '.bin', 'prettier');
const format = spawnSync(prettier, ['--check', '.', '--log-level', 'warn'], { cwd: root, stdio: 'inherit' });
if (format.status !== 0) console.log('prettier: the files above are not formatted; run `pnpm format`');

const turbo = path.join(root, 'node_modules', '.bin', 'turbo');
// --continue: one failing package must not hide the others' results.
// --concurrency=1: the tests train real networks on real backends (wasm uses both cores); run side
// by side on a 2-core machine they starve each other past their timeouts.
const run = spawnSync(turbo, ['run', 'lint', 'typecheck', 'test', '--continue', '--concurrency=1', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

const totals = { passed: 0, failed: 0, skipped: 0 };
const perPackage = [];
for (const dir of packageDirs) {
  const file = path.join(dir, RESULTS);
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += skipped;
  perPackage.push(`  ${path.relative(root, dir)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
}
console.log(`\nTest results by package:\n${perPackage.join('\n')}`);
if (perPackage.length === 0 || run.status !== 0) {
  if (run.status !== 0) console.log(`turbo exited with ${run.status ?? run.signal}`);
  if (totals.failed === 0 && run.status !== 0) totals.failed = 1; // lint, typecheck or build failed
}
if (format.status !== 0) totals.failed += 1;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(format.status !== 0 ? 1 : (run.status ?? 1));
