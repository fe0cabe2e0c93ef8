// @resnet/backend-onednn as the release publishes it: its tarball with prebuilds/<platform>-<arch>/
// inside (the addon built in the workspace plus the libraries it bundles), made by the package's own
// scripts/prebuild.mjs, as .github/workflows/release.yml does before `changeset publish`.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from './exec.js';
import { WORKSPACE_ROOT } from './workspace.js';

export const ONEDNN = '@resnet/backend-onednn';
const PREBUILD_SCRIPT = path.join(WORKSPACE_ROOT, 'packages/backend-onednn/scripts/prebuild.mjs');

/**
 * Unpacks `tarball`, adds the prebuild to it and packs it again as `<name>-prebuilt.tgz` (npm's
 * tarball is a gzipped `package/` directory). `skipped` when no prebuild can be made here
 * (prebuild.mjs exits 2: not Linux, the addon not built, patchelf missing), with its reason.
 */
export async function prebuiltTarball(tarball: string, work: string): Promise<{ file: string; log: string } | { skipped: string }> {
  const dir = path.join(work, 'onednn-prebuilt');
  await mkdir(dir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir], { cwd: dir });
  const made = await run(process.execPath, [PREBUILD_SCRIPT, '--out', path.join(dir, 'package')], { cwd: dir, allowExitCode: true });
  if (made.code === 2) return { skipped: made.stderr.trim().replace(/^prebuild: /, '') };
  if (made.code !== 0)
    throw new Error(`prebuild.mjs exited with ${made.code}\n--- stdout ---\n${made.stdout}\n--- stderr ---\n${made.stderr}`);
  const file = tarball.replace(/\.tgz$/, '-prebuilt.tgz');
  await run('tar', ['-czf', file, '-C', dir, 'package'], { cwd: dir });
  return { file, log: made.stdout.trim() };
}
