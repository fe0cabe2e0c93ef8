#!/usr/bin/env node
// `pnpm resnet …` from the repo root: build the CLI and what it depends on (turbo caches this, so
// it is near-instant when nothing changed), then run it. The build's output is shown only when it
// fails, on stderr, so stdout carries only the CLI's own (use `pnpm -s resnet …` to drop pnpm's
// own banner too, e.g. for `--json`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// turbo's own binary, so this works however pnpm was started (pnpm, npx pnpm@…, corepack).
const turbo = path.join(root, 'node_modules', '.bin', 'turbo');
const build = spawnSync(turbo, ['run', 'build', '--filter=@resnet/cli...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? String(build.error) : ''}\n`);
  console.error('resnet: building the CLI failed (see above)');
  process.exit(build.status ?? 1);
}
const { main } = await import(pathToFileURL(path.join(root, 'apps/cli/dist/main.js')).href);
process.exitCode = await main(process.argv.slice(2));
