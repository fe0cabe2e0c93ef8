// tfjs-core's own op tests (its dist/**/*_test.js jasmine suites) on onednn, for the test files that
// exercise the native kernels: test/tfjs-core/run.mjs in a child process (jasmine and one bundled
// tfjs-core of its own), its per-file summary printed here, and no failure allowed but the known
// kernel bugs listed in run.mjs (which still run and are printed on every run).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { skipReason } from './helpers.js';

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tfjs-core', 'run.mjs');

interface Failure {
  spec: string;
  expectations: { message: string }[];
}
interface Report {
  total: { passed: number; failed: number; known: number; excluded: number };
  loadErrors: string[];
  knownFailuresFixed: string[];
  knownFailuresMissing: string[];
  files: Record<string, { passed: number; failures: Failure[] }>;
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 110_000 });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.skipIf(skipReason !== undefined)('tfjs-core op tests on onednn', () => {
  test('pass for every test file of the native kernels (KNOWN_FAILURES aside, each with its reason)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onednn-tfjs-core-report-'));
    try {
      const json = path.join(dir, 'report.json');
      const { code, output } = await run(['--json', json]);
      console.log(output);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      expect(report.loadErrors, 'the tests loaded').toEqual([]);
      const failures = Object.entries(report.files).flatMap(([file, s]) =>
        s.failures.map((f) => `[${file}] ${f.spec}: ${f.expectations.map((e) => e.message.split('\n')[0]).join('; ')}`),
      );
      expect(failures, 'failed specs').toEqual([]);
      expect(report.knownFailuresFixed, 'known failures that pass now: take them out of KNOWN_FAILURES').toEqual([]);
      expect(report.knownFailuresMissing, 'KNOWN_FAILURES names no such spec').toEqual([]);
      for (const [file, s] of Object.entries(report.files)) expect(s.passed, `${file}: specs passed`).toBeGreaterThan(0);
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
