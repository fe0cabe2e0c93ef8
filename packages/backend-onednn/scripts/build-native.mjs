#!/usr/bin/env node
// Builds the oneDNN addon, or records why it cannot be built, without ever failing an install.
//
//   node scripts/build-native.mjs --install   npm/pnpm install: a prebuilt binary if one fits, else build
//   node scripts/build-native.mjs             the package's `build`: (re)build when the sources changed
//   node scripts/build-native.mjs --force     rebuild; exits 1 when that fails (`pnpm rebuild-native`)
//
// Environment: DNNL_ROOT, a oneDNN install prefix searched first; RESNET_ONEDNN_SEARCH, prefixes
// (":"-separated) searched instead of DNNL_ROOT and the system's (tests use it to see the "not
// found" path on a machine that has oneDNN); RESNET_ONEDNN_REQUIRED=1 (CI), exit 1 whenever the
// addon is not built, so that a missing oneDNN fails loudly instead of skipping its tests.
//
// What happened is written to build/native-status.json; the backend reads it to say why it is not
// available (src/native.ts), so `resnet doctor` shows the reason and the command that fixes it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const install = args.has('--install');
const STATUS = path.join(root, 'build', 'native-status.json');
const ADDON = path.join(root, 'build', 'Release', 'resnet_onednn.node');
const PREBUILT = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'resnet_onednn.node');
const REQUIRED = process.env.RESNET_ONEDNN_REQUIRED === '1';
const FIX = 'pnpm --filter @resnet/backend-onednn rebuild-native (in this repository) or npm rebuild @resnet/backend-onednn';

function writeStatus(status) {
  mkdirSync(path.dirname(STATUS), { recursive: true });
  const tmp = `${STATUS}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2) + '\n');
  renameSync(tmp, STATUS);
}

function say(line) {
  console.log(`@resnet/backend-onednn: ${line}`);
}

/** The prefixes searched for oneDNN: RESNET_ONEDNN_SEARCH alone when set, else DNNL_ROOT, then the usual system prefixes. */
function searchRoots() {
  const only = process.env.RESNET_ONEDNN_SEARCH;
  if (only !== undefined) return only.split(path.delimiter).filter(Boolean);
  return [process.env.DNNL_ROOT, '/usr', '/usr/local', '/opt/homebrew', '/opt/homebrew/opt/onednn', '/usr/local/opt/onednn'].filter(
    Boolean,
  );
}

/** Where oneDNN's headers and library are, searched in `roots`. */
function findOneDnn(roots) {
  const libDirs = (r) => [
    path.join(r, 'lib', 'x86_64-linux-gnu'),
    path.join(r, 'lib', 'aarch64-linux-gnu'),
    path.join(r, 'lib64'),
    path.join(r, 'lib'),
  ];
  for (const r of roots) {
    const header = path.join(r, 'include', 'oneapi', 'dnnl', 'dnnl.hpp');
    if (!existsSync(header)) continue;
    const lib = libDirs(r).find((d) => existsSync(d) && readdirSync(d).some((f) => /^libdnnl\.(so|dylib)/.test(f)));
    if (lib) return { include: path.join(r, 'include'), lib };
  }
  return undefined;
}

function newestSource() {
  let newest = statSync(path.join(root, 'binding.gyp')).mtimeMs;
  for (const f of readdirSync(path.join(root, 'native'))) newest = Math.max(newest, statSync(path.join(root, 'native', f)).mtimeMs);
  return newest;
}

function nodeGyp() {
  // npm and pnpm pass their bundled node-gyp to install scripts; in the workspace it is a devDependency.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return undefined;
  }
}

/**
 * Whether the prebuilt addon loads here (in a child process: a prebuild built against a newer glibc
 * or libstdc++ than this machine's must not take the install down). The error when it does not.
 */
function prebuiltLoadError() {
  const r = spawnSync(
    process.execPath,
    ['-e', 'const a = require(process.argv[1]); const i = a.info(); console.log(`oneDNN ${i.version} (${i.isa})`)', PREBUILT],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (r.status === 0) return { ok: r.stdout.trim() };
  return {
    error:
      (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`)
        .trim()
        .split('\n')
        .find((l) => /error/i.test(l)) ?? `exit ${r.status ?? r.signal}`,
  };
}

/** Not built: the status says why; exit 1 when asked to rebuild (--force) or in CI (RESNET_ONEDNN_REQUIRED=1). */
function notBuilt(reason, extra = {}) {
  writeStatus({ built: false, reason, ...extra });
  say(`skipped: ${reason}`);
  if (REQUIRED && !force) say('RESNET_ONEDNN_REQUIRED=1: failing, since the onednn backend must be available here');
  return force || REQUIRED ? 1 : 0;
}

function main() {
  // A prebuilt binary that loads here wins at install: no compiler, no oneDNN needed (it carries libdnnl).
  let prebuiltFailed;
  if (install && existsSync(PREBUILT)) {
    const check = prebuiltLoadError();
    if (check.ok) {
      writeStatus({ built: false, prebuilt: PREBUILT });
      say(`using the prebuilt addon for ${process.platform}-${process.arch}: ${check.ok}`);
      return 0;
    }
    prebuiltFailed = check.error;
    say(`the prebuilt addon for ${process.platform}-${process.arch} does not load here (${prebuiltFailed}); building from source`);
  }
  if (!force && existsSync(ADDON) && statSync(ADDON).mtimeMs >= newestSource()) {
    writeStatus({ built: true, addon: ADDON });
    return 0;
  }
  const roots = searchRoots();
  const dnnl = findOneDnn(roots);
  const prebuiltNote = prebuiltFailed ? ` (the prebuilt addon does not load here: ${prebuiltFailed})` : '';
  if (!dnnl) {
    return notBuilt(
      `the native addon was not built${prebuiltNote}: oneDNN was not found (no include/oneapi/dnnl/dnnl.hpp with libdnnl under ${roots.join(', ') || 'no prefix (RESNET_ONEDNN_SEARCH is empty)'}). ` +
        `Install it (Debian/Ubuntu: apt-get install libdnnl-dev; macOS: brew install onednn; or set DNNL_ROOT to its prefix), then run ${FIX}`,
    );
  }
  const gyp = nodeGyp();
  if (!gyp)
    return notBuilt(
      `the native addon was not built${prebuiltNote}: node-gyp was not found. Install the build tools (python3, make, a C++17 compiler) and run ${FIX}`,
    );
  say(`building against oneDNN in ${dnnl.include} (${dnnl.lib})`);
  // Node's own headers, when its install has them (official builds and Debian's do): no download.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir || (existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const r = spawnSync(
    gyp[0],
    [
      gyp[1],
      'rebuild',
      '--release',
      ...(nodedir ? [`--nodedir=${nodedir}`] : []),
      `--jobs=${Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2))}`,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DNNL_INCLUDE: dnnl.include, DNNL_LIB: dnnl.lib },
      encoding: 'utf8',
    },
  );
  if (r.status !== 0 || !existsSync(ADDON)) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
      .trim()
      .split('\n')
      .filter((l) => /error|Error/.test(l))
      .slice(-8)
      .join('\n');
    const reason = `the native addon failed to build (node-gyp exited with ${r.status ?? r.signal}${r.error ? `: ${r.error.message}` : ''}). ${tail ? `First errors:\n${tail}\n` : ''}Fix the build tools, then run ${FIX}`;
    writeStatus({ built: false, reason });
    say(`build failed: ${reason}`);
    if (force || REQUIRED) {
      process.stderr.write(`${r.stdout ?? ''}\n${r.stderr ?? ''}\n`);
      return 1;
    }
    return 0;
  }
  writeStatus({ built: true, addon: ADDON, dnnl });
  say(`built ${path.relative(root, ADDON)}`);
  return 0;
}

process.exit(main());
