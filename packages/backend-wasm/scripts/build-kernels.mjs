#!/usr/bin/env node
// Builds this package's own kernels (csrc/*.c) into the two WebAssembly side modules that src/own_kernels.ts
// loads onto tfjs-backend-wasm's heap, one per tfjs build the package runs:
//
//   wasm/resnet-kernels-simd.wasm           imports an ordinary memory (tfjs-backend-wasm-simd.wasm's)
//   wasm/resnet-kernels-threaded-simd.wasm  imports a shared memory (the threaded build's, ≤ 4 GiB)
//
// The .wasm files are committed, so that a clone with only Node (and every npm install) has them
// without a compiler; the package's `build` does not run this. CI (.ci/run) runs `--check`, which
// rebuilds into a temporary directory and fails, naming the file, when the bytes differ from the
// committed ones: the sources and the binaries cannot drift apart.
//
//   node scripts/build-kernels.mjs           # rebuild wasm/*.wasm from csrc/
//   node scripts/build-kernels.mjs --check   # exit 1 if a rebuild differs from wasm/*.wasm
//
// Toolchain: Debian's clang-16 and lld-16 (`apt-get install clang-16 lld-16`), or CLANG / WASM_LD.
// The output holds no paths, dates or debug information (no -g; sources compiled by relative name
// with -ffile-prefix-map), so the same clang gives the same bytes on any machine.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(packageDir, 'csrc');
const outDir = path.join(packageDir, 'wasm');
const CLANG = process.env.CLANG ?? 'clang-16';
const WASM_LD = process.env.WASM_LD ?? 'wasm-ld-16';

const COMPILE = [
  '--target=wasm32',
  '-msimd128',
  // memory.fill / memory.copy instead of calls to memset / memcpy, which a module importing nothing lacks.
  '-mbulk-memory',
  '-O3',
  '-nostdlib',
  '-ffreestanding',
  '-fPIC',
  '-fvisibility=hidden',
  // Each float32 operation rounded as written (SIMD128 has no FMA; this keeps scalar code so too).
  '-ffp-contract=off',
  // The kernels are vectorised by hand (wasm_simd128.h). clang-16's SLP vectorizer, packing scalar
  // argument checks into vectors, left a dead stack-pointer adjustment behind (an import of
  // __stack_pointer, which the loader does not provide).
  '-fno-slp-vectorize',
  '-std=c11',
  '-Wall',
  '-Wextra',
  '-Werror',
  `-ffile-prefix-map=${sourceDir}=csrc`,
];
const LINK = ['--experimental-pic', '-shared', '--no-entry'];

/** The variants: file name, extra compile flags, extra link flags, whether the memory import is shared. */
export const VARIANTS = [
  { file: 'resnet-kernels-simd.wasm', compile: [], link: [], shared: false },
  {
    file: 'resnet-kernels-threaded-simd.wasm',
    // A shared memory needs the atomics feature in every object.
    compile: ['-matomics'],
    link: ['--shared-memory', '--max-memory=4294967296'],
    shared: true,
  },
];

/** What a side module may import: the heap, a table, and the two bases (see src/own_kernels.ts). */
const ALLOWED_IMPORTS = ['env.__indirect_function_table:table', 'env.__memory_base:global', 'env.__table_base:global', 'env.memory:memory'];

function run(command, args, cwd) {
  try {
    execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    if (e.code === 'ENOENT') {
      throw new Error(
        `${command} not found: install Debian's clang-16 and lld-16 (apt-get install clang-16 lld-16), or set CLANG / WASM_LD`,
      );
    }
    throw new Error(`${command} ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

function readU32(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at.i++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
    shift += 7;
  }
}

/** The memory import's limits and sharing, and the dylink.0 memory and table sizes, read from the binary. */
export function describeModule(bytes) {
  const at = { i: 8 };
  const info = { memory: undefined, dylink: undefined };
  while (at.i < bytes.length) {
    const id = bytes[at.i++];
    const size = readU32(bytes, at);
    const end = at.i + size;
    if (id === 0) {
      const nameLength = readU32(bytes, at);
      const name = new TextDecoder().decode(bytes.subarray(at.i, at.i + nameLength));
      at.i += nameLength;
      if (name === 'dylink.0') {
        while (at.i < end) {
          const type = bytes[at.i++];
          const length = readU32(bytes, at);
          const next = at.i + length;
          if (type === 1) {
            const memorySize = readU32(bytes, at);
            const memoryAlign = readU32(bytes, at);
            const tableSize = readU32(bytes, at);
            info.dylink = { memorySize, memoryAlign, tableSize };
          }
          at.i = next;
        }
      }
    } else if (id === 2) {
      const count = readU32(bytes, at);
      for (let k = 0; k < count; k++) {
        for (let s = 0; s < 2; s++) {
          const length = readU32(bytes, at); // the module's name, then the import's
          at.i += length;
        }
        const kind = bytes[at.i++];
        if (kind === 0) readU32(bytes, at);
        else if (kind === 1) {
          at.i++;
          const flags = bytes[at.i++];
          readU32(bytes, at);
          if (flags & 1) readU32(bytes, at);
        } else if (kind === 2) {
          const flags = bytes[at.i++];
          const min = readU32(bytes, at);
          const max = flags & 1 ? readU32(bytes, at) : undefined;
          info.memory = { min, max, shared: (flags & 2) !== 0 };
        } else if (kind === 3) at.i += 2;
      }
    }
    at.i = end;
  }
  return info;
}

/** Refuses a module the loader could not instantiate on tfjs's heap as it is. */
function verify(file, bytes, variant) {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module)
    .map((i) => `${i.module}.${i.name}:${i.kind}`)
    .sort();
  if (imports.join() !== ALLOWED_IMPORTS.join())
    throw new Error(`${file} imports [${imports.join(', ')}], expected [${ALLOWED_IMPORTS.join(', ')}] (no libc calls, no stack pointer)`);
  const { memory, dylink } = describeModule(bytes);
  if (!memory || memory.shared !== variant.shared)
    throw new Error(`${file}: its memory import must be ${variant.shared ? '' : 'un'}shared, got ${JSON.stringify(memory)}`);
  if (!dylink || dylink.memorySize !== 0 || dylink.tableSize !== 0)
    throw new Error(`${file}: a kernel module must have no static data and no table entries, got dylink ${JSON.stringify(dylink)}`);
}

/** Compiles and links every variant into `dir`; returns the files written. */
export function buildInto(dir) {
  const sources = readdirSync(sourceDir)
    .filter((f) => f.endsWith('.c'))
    .sort();
  if (sources.length === 0) throw new Error(`no C sources in ${sourceDir}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'resnet-kernels-'));
  try {
    const written = [];
    for (const variant of VARIANTS) {
      const objects = sources.map((source) => {
        const object = path.join(work, `${variant.file}.${source}.o`);
        run(CLANG, [...COMPILE, ...variant.compile, '-c', source, '-o', object], sourceDir);
        return object;
      });
      const out = path.join(dir, variant.file);
      run(WASM_LD, [...LINK, ...variant.link, '-o', out, ...objects], sourceDir);
      verify(variant.file, readFileSync(out), variant);
      chmodSync(out, 0o644); // wasm-ld marks its output executable; the module is data
      written.push(out);
    }
    return written;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  const check = process.argv.includes('--check');
  if (!check) {
    mkdirSync(outDir, { recursive: true });
    for (const file of buildInto(outDir)) console.log(`built ${path.relative(packageDir, file)} (${readFileSync(file).length} bytes)`);
    return 0;
  }
  const temp = mkdtempSync(path.join(os.tmpdir(), 'resnet-kernels-check-'));
  try {
    const differ = [];
    for (const built of buildInto(temp)) {
      const name = path.basename(built);
      const committed = path.join(outDir, name);
      if (!existsSync(committed)) differ.push(`wasm/${name} is missing (run node scripts/build-kernels.mjs and commit it)`);
      else if (!readFileSync(committed).equals(readFileSync(built)))
        differ.push(`wasm/${name} differs from a rebuild of csrc/ (run node scripts/build-kernels.mjs and commit it)`);
    }
    if (differ.length) {
      for (const line of differ) console.error(`build-kernels --check: ${line}`);
      return 1;
    }
    console.log(`build-kernels --check: ${VARIANTS.map((v) => `wasm/${v.file}`).join(', ')} match csrc/`);
    return 0;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(`build-kernels: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
