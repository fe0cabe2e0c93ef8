// A new npm project outside the workspace, with the tarballs installed the way a user installs
// packages from the registry: plain `npm install`, nothing linked from the workspace.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type RunResult } from './exec.js';

/** What a user adds from the registry beside our packages: the peer we ask for, a bundler, a type checker. */
export const USER_DEPENDENCIES: Readonly<Record<string, string>> = {
  '@tensorflow/tfjs-core': '^4.22.0',
  '@types/node': '^20.19.0',
  esbuild: '^0.25.12',
  typescript: '~5.9.3',
};

export interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly link?: boolean;
}

export interface Project {
  readonly dir: string;
  readonly install: RunResult;
  /** package-lock.json `packages`, by path (`node_modules/@resnet/core`, nested ones too). */
  readonly lock: Readonly<Record<string, LockEntry>>;
}

/**
 * Writes package.json and runs `npm install`. The tarballs are dependencies by `file:` path, and
 * npm `overrides` point every other mention of an @resnet package (the CLI's dependencies, the
 * backends' peers) at the same tarball, so none of them can come from the registry.
 */
export async function createProject(
  dir: string,
  tarballs: ReadonlyMap<string, string>,
  options: {
    readonly userDependencies?: Readonly<Record<string, string>>;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<Project> {
  await mkdir(dir, { recursive: true });
  const dependencies: Record<string, string> = { ...(options.userDependencies ?? USER_DEPENDENCIES) };
  const overrides: Record<string, string> = {};
  for (const [name, file] of [...tarballs].sort(([a], [b]) => a.localeCompare(b))) {
    dependencies[name] = `file:${path.relative(dir, file)}`;
    overrides[name] = `$${name}`; // "the same spec as the root dependency"
  }
  const manifest = { name: 'resnet-consumer', version: '1.0.0', private: true, type: 'module', dependencies, overrides };
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: dir,
    timeoutMs: 840_000,
    ...(options.env ? { env: options.env } : {}),
  });
  const lockFile = JSON.parse(await readFile(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return { dir, install, lock: lockFile.packages };
}

/** Every installed copy of `name` in the lock file, with where it came from. */
export function lockEntries(lock: Readonly<Record<string, LockEntry>>, name: string): [string, LockEntry][] {
  return Object.entries(lock).filter(([key]) => key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`));
}
