// Compares two directory trees file by file, so the staleness test can name every file that a fresh
// TypeDoc run would change, add or remove.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

export interface TreeDiff {
  /** In both trees with different bytes. */
  readonly changed: string[];
  /** Only in the fresh tree (the committed one lacks them). */
  readonly added: string[];
  /** Only in the committed tree (a fresh run no longer makes them). */
  readonly removed: string[];
}

/** Every file under `root`, as sorted `/`-separated paths relative to it; none when `root` is missing. */
export function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else out.push(rel);
    }
  };
  walk(root, '');
  return out.sort();
}

/** How `committed` differs from `fresh`. */
export function diffTrees(fresh: string, committed: string): TreeDiff {
  const freshFiles = listFiles(fresh);
  const committedFiles = new Set(listFiles(committed));
  const changed: string[] = [];
  const added: string[] = [];
  for (const file of freshFiles) {
    if (!committedFiles.has(file)) added.push(file);
    else if (!readFileSync(path.join(fresh, file)).equals(readFileSync(path.join(committed, file)))) changed.push(file);
    committedFiles.delete(file);
  }
  return { changed, added, removed: [...committedFiles].sort() };
}

/** One line per differing file (`changed: …`, `missing: …`, `extra: …`), empty when the trees agree. */
export function describeDiff(diff: TreeDiff): string[] {
  return [
    ...diff.changed.map((f) => `changed: ${f}`),
    ...diff.added.map((f) => `missing: ${f}`),
    ...diff.removed.map((f) => `extra: ${f}`),
  ];
}
