#!/usr/bin/env node
// Makes the prebuilt addon that the npm package carries: prebuilds/<platform>-<arch>/ with the
// addon built by scripts/build-native.mjs and the shared libraries it needs that a user's machine
// may lack, so that `npm install @resnet/backend-onednn` needs neither oneDNN nor a compiler.
//
//   node scripts/prebuild.mjs [--addon build/Release/resnet_onednn.node] [--out <package dir>]
//
// Used by the release workflow (.github/workflows/release.yml, before `changeset publish`) and by the
// pack test (tooling/package-tests, on an unpacked tarball through --out). Linux only for now.
//
// Bundled beside the addon, whose runpath is set to $ORIGIN alone:
//   libdnnl.so.2   oneDNN itself (Apache-2.0); its runpath is set to $ORIGIN too (patchelf), so
//                  that its own dependencies below are found beside it.
//   libgomp.so.1   GCC's OpenMP runtime, oneDNN's threads (GPL-3 with the GCC Runtime Library
//                  Exception); missing from slim images (node:20-slim, distroless).
//   libOpenCL.so.1 the OpenCL ICD loader (BSD-2-Clause) that Debian's libdnnl links for its GPU
//                  engine: never called on the CPU, but the library does not load without it.
// Not bundled: libstdc++, libgcc_s, libm, libc (the C/C++ runtime that Node itself runs on).
// The licences of the bundled libraries are copied into licenses/, and prebuild.json records what
// was bundled, from where, with checksums. Finally the prebuild is loaded in a fresh Node, and every
// bundled library must come from the prebuild's directory.
//
// Exit codes: 0 done; 2 no prebuild can be made here (not Linux, addon not built, patchelf missing:
// the message says which); 1 anything else.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    addon: { type: 'string', default: path.join(root, 'build', 'Release', 'resnet_onednn.node') },
    out: { type: 'string', default: root },
  },
});
const ADDON_NAME = 'resnet_onednn.node';
const BUNDLED = ['libdnnl.so.2', 'libgomp.so.1', 'libOpenCL.so.1'];
const target = `${process.platform}-${process.arch}`;
const dest = path.join(path.resolve(values.out), 'prebuilds', target);

class CannotHere extends Error {}

function say(line) {
  console.log(`prebuild: ${line}`);
}

function run(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** `ldd`'s resolution of every library the addon needs, directly or through libdnnl: soname → file. */
function resolvedLibraries(addon) {
  const libs = new Map();
  for (const line of run('ldd', [addon]).split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(\S+)\s+\(0x/.exec(line);
    if (m) libs.set(m[1], m[2]);
    else if (/=>\s+not found/.test(line)) throw new Error(`ldd ${addon}: ${line.trim()} (is oneDNN installed where the addon was built?)`);
  }
  return libs;
}

/** The Debian copyright file of the package that owns `file`, when dpkg knows it. */
function copyrightOf(file) {
  const owner = spawnSync('dpkg', ['-S', realpathSync(file)], { encoding: 'utf8' });
  const pkg = owner.status === 0 ? owner.stdout.split(':')[0] : undefined;
  const copyright = pkg ? `/usr/share/doc/${pkg}/copyright` : undefined;
  return copyright && existsSync(copyright) ? { pkg, copyright } : undefined;
}

/** The newest GLIBC_ / GLIBCXX_ symbol versions the files need (objdump, from binutils): what the target machine must have. */
function requiredVersions(files) {
  if (!hasCommand('objdump')) return undefined;
  const newest = { glibc: '0', glibcxx: '0' };
  const later = (a, b) =>
    a
      .split('.')
      .map(Number)
      .reduce((c, x, i) => c || x - (b.split('.').map(Number)[i] ?? 0), 0) > 0
      ? a
      : b;
  for (const file of files) {
    for (const [, kind, version] of run('objdump', ['-T', file]).matchAll(/\b(GLIBC|GLIBCXX)_(\d+(?:\.\d+)*)\b/g)) {
      const key = kind === 'GLIBC' ? 'glibc' : 'glibcxx';
      newest[key] = later(version, newest[key]);
    }
  }
  return newest;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Loads the prebuild in a new Node (no LD_LIBRARY_PATH) and lists where its libraries came from. */
function verify(addon) {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  delete env.LD_PRELOAD;
  const script = `
    const a = require(process.argv[1]);
    const info = a.info();
    const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
    const loaded = {};
    for (const line of maps.split('\\n')) {
      const file = line.split(/\\s+/)[5];
      if (file && /\\/(libdnnl|libgomp|libOpenCL)\\.so/.test(file)) loaded[file.split('/').pop()] = file;
    }
    console.log(JSON.stringify({ info, loaded }));`;
  const r = spawnSync(process.execPath, ['-e', script, addon], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the prebuild does not load: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function main() {
  if (process.platform !== 'linux')
    throw new CannotHere(
      `prebuilds are made on Linux only (this is ${process.platform}); macOS users build from source (brew install onednn)`,
    );
  const addon = path.resolve(values.addon);
  if (!existsSync(addon))
    throw new CannotHere(
      `${addon} is not built: install oneDNN (apt-get install libdnnl-dev), then pnpm --filter @resnet/backend-onednn rebuild-native`,
    );
  for (const tool of ['patchelf', 'ldd']) {
    if (!hasCommand(tool)) throw new CannotHere(`${tool} is needed (Debian/Ubuntu: apt-get install ${tool === 'ldd' ? 'libc-bin' : tool})`);
  }
  const runpath = run('patchelf', ['--print-rpath', addon]).trim();
  if (!runpath.split(':').includes('$ORIGIN'))
    throw new Error(
      `${addon} has runpath "${runpath}", without $ORIGIN (binding.gyp links it with -rpath '$ORIGIN'): it would not find the libraries beside it`,
    );

  const libs = resolvedLibraries(addon);
  const missing = BUNDLED.filter((soname) => !libs.has(soname));
  if (missing.length)
    throw new Error(
      `ldd does not list ${missing.join(', ')} for ${addon}; the bundle list (scripts/prebuild.mjs) no longer matches what the addon needs`,
    );

  rmSync(dest, { recursive: true, force: true });
  mkdirSync(path.join(dest, 'licenses'), { recursive: true });
  const manifest = {
    target,
    addon: ADDON_NAME,
    node: process.version,
    napi: process.versions.napi,
    builtWithGlibc: process.report.getReport().header.glibcVersionRuntime,
    libraries: {},
  };

  copyFileSync(addon, path.join(dest, ADDON_NAME));
  run('patchelf', ['--set-rpath', '$ORIGIN', path.join(dest, ADDON_NAME)]);
  for (const soname of BUNDLED) {
    const from = realpathSync(libs.get(soname));
    const to = path.join(dest, soname);
    copyFileSync(from, to);
    // Only oneDNN has dependencies of its own to find beside it (the other two need libc alone).
    if (soname === 'libdnnl.so.2') run('patchelf', ['--set-rpath', '$ORIGIN', to]);
    const licence = copyrightOf(from);
    if (licence) copyFileSync(licence.copyright, path.join(dest, 'licenses', `${soname}.copyright`));
    else say(`warning: no licence file found for ${from} (not a Debian package?); add it to ${path.join(dest, 'licenses')} by hand`);
    manifest.libraries[soname] = { from, package: licence?.pkg ?? null, bytes: statSync(to).size, sha256: sha256(to) };
  }
  manifest.sha256 = sha256(path.join(dest, ADDON_NAME));
  manifest.requires = requiredVersions([ADDON_NAME, ...BUNDLED].map((f) => path.join(dest, f))) ?? null;

  const { info, loaded } = verify(path.join(dest, ADDON_NAME));
  const outside = BUNDLED.filter((soname) => !loaded[soname]?.startsWith(`${realpathSync(dest)}/`));
  if (outside.length)
    throw new Error(`the prebuild loaded ${outside.map((s) => `${s} from ${loaded[s] ?? 'nowhere'}`).join(', ')}, not from ${dest}`);
  manifest.onednn = info.version;
  manifest.isa = info.isa;
  writeFileSync(path.join(dest, 'prebuild.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const mb = (Object.values(manifest.libraries).reduce((s, l) => s + l.bytes, 0) + statSync(path.join(dest, ADDON_NAME)).size) / 2 ** 20;
  say(
    `${path.relative(process.cwd(), dest) || dest}: oneDNN ${info.version} (${info.isa} here), ${[ADDON_NAME, ...BUNDLED].join(', ')} (${mb.toFixed(1)} MiB), ${manifest.requires ? `needs glibc ≥ ${manifest.requires.glibc} and libstdc++ with GLIBCXX_${manifest.requires.glibcxx}` : 'objdump missing: glibc needed unknown'}; loads with every bundled library from there`,
  );
  return 0;
}

try {
  process.exit(main());
} catch (e) {
  console.error(`prebuild: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof CannotHere ? 2 : 1);
}
