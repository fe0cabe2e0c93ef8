// Signals and run folders as they really arrive (issue #15): Ctrl-C and SIGTERM sent to the real
// binary while an iteration computes (the default intervals: no checkpoint, evaluation or file
// write between the signal and the end of the run), one process per run folder with a stale lock
// taken over, --resume on a finished run, and an --out that mkdir cannot make.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCheckpoint } from '@resnet/core';
import { describe, expect, test } from 'vitest';
import { main } from '../src/main.js';
import { LOCK_FILE } from '../src/run_lock.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../bin/resnet.js');
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'resnet-signals-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

// 40 iterations of 32 with the synthetic recipe's intervals: a log line every 10, no checkpoint or evaluation before the end.
const RUN = ['--model', 'resnet8', '--synthetic-size', '400,40', '--iterations', '40', '--backend', 'wasm'];

interface Child {
  readonly code: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once stderr matches. */
  waitFor(pattern: RegExp): Promise<void>;
}

function train(...argv: string[]): Child {
  const child = spawn(process.execPath, [BIN, 'train', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0))
      if (w.pattern.test(err)) w.resolve();
      else waiters.push(w);
  });
  return {
    code: new Promise((resolve) => child.on('exit', (c) => resolve(c))),
    stdout: () => out,
    stderr: () => err,
    kill: (s) => child.kill(s),
    waitFor: (pattern) => (pattern.test(err) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve }))),
  };
}

async function checkpointIteration(dir: string): Promise<number> {
  return (await parseCheckpoint(new Uint8Array(readFileSync(path.join(dir, 'checkpoint.safetensors'))))).meta.iteration;
}

describe('signals during training', () => {
  for (const [signal, code, said] of [
    ['SIGINT', 130, 'Ctrl-C'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const) {
    test(`${signal} mid-iteration stops within one iteration with a checkpoint (exit ${code}); --resume finishes the run`, async () => {
      const out = path.join(tmp(), 'run');
      const child = train(...RUN, '--out', out);
      await child.waitFor(/iter 10\/40/);
      child.kill(signal); // iteration 11 is computing: no await point of the loop is near
      expect(await child.code).toBe(code);
      expect(child.stderr()).toContain(`resnet: ${said}: stopping after this iteration and saving a checkpoint`);
      const stoppedAt = Number(/stopped at iteration (\d+)/.exec(child.stdout())?.[1]);
      expect(stoppedAt).toBeGreaterThanOrEqual(10);
      expect(stoppedAt).toBeLessThanOrEqual(12);
      expect(await checkpointIteration(out)).toBe(stoppedAt);
      expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
      const resumed = await run('train', ...RUN, '--out', out, '--resume', '--quiet', '--json');
      expect(resumed.code).toBe(0);
      expect((JSON.parse(resumed.out) as { iteration: number }).iteration).toBe(40);
    }, 120_000);
  }
});

describe('one process per run folder', () => {
  test('a second train on a folder in use is refused naming the process; a stale lock is taken over', async () => {
    const out = path.join(tmp(), 'busy');
    const child = train(...RUN, '--iterations', '400', '--out', out);
    await child.waitFor(/iter 10\/400/);
    const second = await run('train', ...RUN, '--out', out, '--quiet');
    expect(second.code).toBe(2);
    expect(second.err).toMatch(
      /busy is in use by another resnet process \(pid \d+ on .*, since .*\); wait for it to end, or choose another --out/,
    );
    const resume = await run('train', ...RUN, '--out', out, '--resume', '--quiet');
    expect(resume.code).toBe(2); // not even before its first checkpoint: the folder is taken
    child.kill('SIGINT');
    expect(await child.code).toBe(130);

    // A lock left by a process that was killed: that pid no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    writeFileSync(
      path.join(out, LOCK_FILE),
      JSON.stringify({ pid, host: (await import('node:os')).hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    const taken = await run('train', ...RUN, '--out', out, '--resume', '--iterations', String((await checkpointIteration(out)) + 1));
    expect(taken.code).toBe(0);
    expect(taken.err).toContain(`taking over ${path.join(out, LOCK_FILE)}: process ${pid} that held it is no longer running`);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  test('--resume on a finished run changes nothing and says so', async () => {
    const out = path.join(tmp(), 'done');
    expect((await run('train', ...RUN, '--iterations', '2', '--batch-size', '8', '--out', out, '--quiet')).code).toBe(0);
    const files = ['metrics.jsonl', 'checkpoint.safetensors', 'report.html', 'weights.safetensors', 'config.json'];
    const before = files.map((f) => readFileSync(path.join(out, f)));
    for (let i = 0; i < 2; i++) {
      const again = await run('train', ...RUN, '--iterations', '2', '--batch-size', '8', '--out', out, '--resume');
      expect(again.code).toBe(0);
      expect(again.out).toContain(`${out} is already finished at iteration 2; nothing was changed`);
      expect(again.err).toMatch(/already finished \(iteration 2 of 2\); nothing was changed\. Pass --iterations N \(more than 2\)/);
    }
    files.forEach((f, i) => expect(readFileSync(path.join(out, f)).equals(before[i]!), f).toBe(true));
  }, 60_000);

  test.skipIf(!existsSync('/proc/self'))('an --out under /proc is refused at once, not a spin', async () => {
    const started = Date.now();
    const r = await run('train', ...RUN, '--out', '/proc/resnet-run', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create the folder \/proc\/resnet-run: /);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
