// Which workspace packages get published: every one not marked private, found the way pnpm finds
// them (the globs of pnpm-workspace.yaml), so a new package cannot slip past the pack test.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  /** Relative to the workspace root, e.g. `packages/core`. */
  readonly dir: string;
  readonly private: boolean;
}

/** The `packages:` globs of pnpm-workspace.yaml; only `dir/*` globs are used in this repo. */
function workspaceGlobs(root: string): string[] {
  const yaml = readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) inPackages = line.startsWith('packages:');
    const item = inPackages ? /^\s+-\s+['"]?([^'"#\s]+)['"]?/.exec(line) : null;
    if (item) globs.push(item[1]!);
  }
  for (const glob of globs) {
    if (!/^[\w.-]+\/\*$/.test(glob))
      throw new Error(`pnpm-workspace.yaml: expected globs of the form "dir/*", got ${JSON.stringify(glob)}`);
  }
  return globs;
}

export function workspacePackages(root = WORKSPACE_ROOT): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const glob of workspaceGlobs(root)) {
    const parent = glob.slice(0, -2);
    if (!existsSync(path.join(root, parent))) continue;
    for (const entry of readdirSync(path.join(root, parent)).sort()) {
      const file = path.join(root, parent, entry, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; private?: boolean };
      found.push({ name: pkg.name, version: pkg.version, dir: `${parent}/${entry}`, private: pkg.private === true });
    }
  }
  return found;
}

export function publishablePackages(root = WORKSPACE_ROOT): WorkspacePackage[] {
  return workspacePackages(root).filter((p) => !p.private);
}

/** `packageManager` of the root package.json, e.g. `pnpm@10.34.8`: the pnpm that packs. */
export function pinnedPnpm(root = WORKSPACE_ROOT): string {
  const { packageManager } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { packageManager?: string };
  if (!packageManager?.startsWith('pnpm@'))
    throw new Error(`package.json: expected "packageManager": "pnpm@<version>", got ${JSON.stringify(packageManager)}`);
  return packageManager;
}
