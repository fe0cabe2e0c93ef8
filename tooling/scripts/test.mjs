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
// Each failed test by file and name with the first lines of its message, printed last: a CI log is
// often read only from its end, which turbo fills with the last packages' passing output.
const failures = [];
for (const dir of packageDirs) {
  const file = path.join(dir, RESULTS);
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += skipped;
  perPackage.push(`  ${path.relative(root, dir)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  for (const file of r.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    // A file that failed outside any test (an import error, a hook) has a message but no failed test.
    if (failed.length === 0 && file.status === 'failed')
      failed.push({ fullName: '(the file itself)', failureMessages: [file.message ?? ''] });
    for (const t of failed) {
      const message = (t.failureMessages ?? [])
        .join('\n')
        .split('\n')
        .filter((line) => !/^\s*at .*node_modules/.test(line) && !/^\s*at new Promise/.test(line))
        .slice(0, 6)
        .join('\n      ');
      failures.push(`  ${path.relative(root, file.name)} > ${t.fullName}\n      ${message}`);
    }
  }
}
if (failures.length > 0) console.log(`\nFailed tests:\n${failures.join('\n')}`);
console.log(`\nTest results by package:\n${perPackage.join('\n')}`);
if (perPackage.length === 0 || run.status !== 0) {
  if (run.status !== 0) console.log(`turbo exited with ${run.status ?? run.signal}`);
  if (totals.failed === 0 && run.status !== 0) totals.failed = 1; // lint, typecheck or build failed
}
if (format.status !== 0) totals.failed += 1;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(format.status !== 0 ? 1 : (run.status ?? 1));
