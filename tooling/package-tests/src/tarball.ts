// `pnpm pack` for the publishable packages, and what ended up in each tarball. pnpm (not npm) packs
// because it rewrites `workspace:` ranges into real version ranges, as `pnpm publish` does.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from './exec.js';
import { WORKSPACE_ROOT, pinnedPnpm, type WorkspacePackage } from './workspace.js';

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly main?: string;
  readonly types?: string;
  readonly bin?: string | Record<string, string>;
  readonly exports?: unknown;
  readonly files?: string[];
  readonly sideEffects?: boolean | string[];
  readonly engines?: Record<string, string>;
  readonly repository?: { type?: string; url?: string; directory?: string };
  readonly publishConfig?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

export interface Tarball {
  readonly file: string;
  /** Where it was unpacked (its `package/` directory). */
  readonly dir: string;
  /** Paths inside the package, `/`-separated, sorted. */
  readonly files: readonly string[];
  readonly manifest: Manifest;
}

/** Packs `packages` into `dest` in one pnpm run; returns the tarballs by package name. */
export async function packAll(packages: readonly WorkspacePackage[], dest: string): Promise<Map<string, string>> {
  await mkdir(dest, { recursive: true });
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  await run('npx', ['-y', pinnedPnpm(), '-r', ...filters, 'pack', '--pack-destination', dest], { cwd: WORKSPACE_ROOT });
  const byName = new Map<string, string>();
  for (const entry of await readdir(dest)) {
    if (!entry.endsWith('.tgz')) continue;
    const file = path.join(dest, entry);
    const manifest = JSON.parse((await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: dest })).stdout) as Manifest;
    byName.set(manifest.name, file);
  }
  const missing = packages.filter((p) => !byName.has(p.name)).map((p) => p.name);
  if (missing.length > 0) throw new Error(`pnpm pack made no tarball for ${missing.join(', ')} in ${dest}`);
  return byName;
}

/** Unpacks a tarball into `into` and lists it. */
export async function unpack(file: string, into: string): Promise<Tarball> {
  await mkdir(into, { recursive: true });
  await run('tar', ['-xzf', file, '-C', into], { cwd: into });
  const dir = path.join(into, 'package');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
  const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  return { file, dir, files, manifest };
}

/** Every file path an `exports` map, `main`, `types` and `bin` point to. */
export function entryPoints(manifest: Manifest): string[] {
  const targets = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.add(value);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  if (manifest.main) targets.add(manifest.main);
  if (manifest.types) targets.add(manifest.types);
  return [...targets].map((t) => t.replace(/^\.\//, '')).sort();
}

/** The condition order of every export: `types` must come first for TypeScript to see it. */
export function exportConditionOrders(manifest: Manifest): Record<string, string[]> {
  const orders: Record<string, string[]> = {};
  if (manifest.exports && typeof manifest.exports === 'object') {
    for (const [subpath, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
      if (target && typeof target === 'object') orders[subpath] = Object.keys(target);
    }
  }
  return orders;
}

/** Dependency ranges still written as `workspace:…`, which no registry client understands. */
export function workspaceRanges(manifest: Manifest): string[] {
  const fields = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const;
  return fields.flatMap((field) =>
    Object.entries(manifest[field] ?? {})
      .filter(([, range]) => range.startsWith('workspace:'))
      .map(([name, range]) => `${field}.${name}: ${range}`),
  );
}

/** Files that look like tests or test data. */
export function testFiles(files: readonly string[]): string[] {
  return files.filter(
    (f) =>
      /(^|\/)(test|tests|__tests__|__fixtures__|fixtures)\//.test(f) ||
      /\.(test|spec)\.[cm]?[jt]sx?$/.test(f) ||
      /(^|\/)vitest\.config\./.test(f),
  );
}

/** Source-map `sources` that point at files missing from the tarball (e.g. src/ left out). */
export async function brokenSourceMaps(tarball: Tarball): Promise<string[]> {
  const present = new Set(tarball.files);
  const broken: string[] = [];
  for (const map of tarball.files.filter((f) => f.endsWith('.map'))) {
    const { sources = [], sourceRoot = '' } = JSON.parse(await readFile(path.join(tarball.dir, map), 'utf8')) as {
      sources?: string[];
      sourceRoot?: string;
    };
    for (const source of sources) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(map), sourceRoot, source));
      if (!present.has(resolved)) broken.push(`${map} → ${source}`);
    }
  }
  return broken;
}
