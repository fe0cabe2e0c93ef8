/**
 * One process per run folder: `resnet train` holds `<run folder>/.resnet-lock` (its pid, host and
 * start time) while it writes there, so a second `train` or `--resume` on the same `--out` is
 * refused instead of interleaving metrics.jsonl and replacing the first run's results. A lock left
 * by a process that is no longer running (killed, crashed) is detected and taken over.
 */
import { closeSync, existsSync, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { makeDirectory } from '@resnet/node-io';
import { UsageError } from './errors.js';

export const LOCK_FILE = '.resnet-lock';

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // it exists, owned by someone else
  }
}

function readLock(file: string): LockRecord | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? (j as LockRecord) : undefined;
  } catch {
    return undefined; // half-written or damaged: treated as stale
  }
}

/** Takes the run folder (creating it); `release()` gives it back. Refuses, naming the holder, while another live process holds it. */
export function lockRunFolder(runDir: string, say: (line: string) => void): { release(): void } {
  // A folder made here and left empty (the run failed before writing anything) is removed again.
  const created = !existsSync(runDir);
  makeDirectory(runDir);
  const file = path.join(runDir, LOCK_FILE);
  const mine: LockRecord = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const held = readLock(file);
      if (held && (held.host !== mine.host || alive(held.pid))) {
        throw new UsageError(
          `${runDir} is in use by another resnet process (pid ${held.pid} on ${held.host}, since ${held.startedAt}); wait for it to end, or choose another --out` +
            (held.host !== mine.host ? ` (if that process is gone, delete ${file})` : ''),
        );
      }
      say(`resnet: taking over ${file}: ${held ? `process ${held.pid} that held it is no longer running` : 'it was damaged'}`);
      unlinkSync(file);
      continue;
    }
    writeSync(fd, `${JSON.stringify(mine)}\n`);
    closeSync(fd);
    break;
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never one another process took over meanwhile.
    if (readLock(file)?.pid === mine.pid) unlinkSync(file);
    if (created) {
      try {
        rmdirSync(runDir);
      } catch {
        // not empty: the run wrote its files
      }
    }
  };
  process.on('exit', release); // a second Ctrl-C exits at once: the lock goes with it
  return { release };
}
