/**
 * Creating a folder and its missing parents, one level at a time. Node's own
 * `mkdir(dir, { recursive: true })` never returns on some paths (under /proc, where mkdir answers
 * ENOENT for a parent that exists, it loops at 100% CPU), and reports a file in the way as a bare
 * EEXIST or ENOTDIR; here every failure is an error naming the folder and the reason.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileIOError, systemError } from './files.js';

/** Makes `dir` and any missing parents; nothing happens when it is already a folder. */
export function makeDirectory(dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let at = target; ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw systemError('create the folder', target, error);
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
      continue;
    }
    if (!isDirectory) {
      throw new FileIOError(
        `node-io: cannot create the folder ${target}: ${at === target ? 'it is' : `${at} is`} a file, expected a folder`,
        { code: 'ENOTDIR' },
      );
    }
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      // Another process may have made it meanwhile.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw systemError('create the folder', d, error);
    }
  }
}
