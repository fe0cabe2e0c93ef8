// The committed side modules (wasm/*.wasm, built from csrc/ by scripts/build-kernels.mjs; CI checks
// that a rebuild gives the same bytes): they exist, ship in the npm package, import only what the
// loader gives them (the heap, a table, two bases), and run on a memory of their kind, ordinary or
// shared, without a compiler anywhere.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const VARIANTS = [
  { file: 'resnet-kernels-simd.wasm', shared: false },
  { file: 'resnet-kernels-threaded-simd.wasm', shared: true },
] as const;

type Fn = (...args: number[]) => number;

describe.each(VARIANTS)('wasm/$file', ({ file, shared }) => {
  const location = path.join(packageDir, 'wasm', file);

  test('is committed and listed in the package files', () => {
    expect(existsSync(location), `${location} (run node scripts/build-kernels.mjs)`).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('wasm');
  });

  test('imports only the heap, a table and the two bases', () => {
    const module = new WebAssembly.Module(readFileSync(location));
    expect(
      WebAssembly.Module.imports(module)
        .map((i) => `${i.module}.${i.name}:${i.kind}`)
        .sort(),
    ).toEqual(['env.__indirect_function_table:table', 'env.__memory_base:global', 'env.__table_base:global', 'env.memory:memory']);
  });

  test(`instantiates on ${shared ? 'a shared' : 'an ordinary'} memory and computes there`, () => {
    const module = new WebAssembly.Module(readFileSync(location));
    const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 });
    const other = new WebAssembly.Memory(shared ? { initial: 1 } : { initial: 1, maximum: 16, shared: true });
    const env = (m: WebAssembly.Memory) => ({
      memory: m,
      __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
      __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
    });
    // The other kind of memory is refused: each tfjs build needs its own variant.
    expect(() => new WebAssembly.Instance(module, { env: env(other) })).toThrow(WebAssembly.LinkError);
    const exports = new WebAssembly.Instance(module, { env: env(memory) }).exports as Record<string, Fn>;
    // Six values (a vector and a scalar tail) at byte offsets away from 0, as on a real heap.
    const heap = new Float32Array(memory.buffer);
    const a = [1, -2, 3.5, -0.25, 5, -6];
    const b = [0.5, 1, -4, 0.125, -5.5, 7];
    heap.set(a, 16);
    heap.set(b, 32);
    // The thread pool's job block (csrc/kernels.h), zeroed, past the data: no workers, so the calling thread runs every item.
    const job = 1024;
    expect(exports['rn_job_bytes']!()).toBeLessThan(1024);
    expect(exports['add_relu']!(job, 16 * 4, 32 * 4, 48 * 4, 6)).toBe(0);
    expect(Array.from(heap.subarray(48, 54))).toEqual([1.5, 0, 0, 0, 0, 1]);
    // dy = a where y = b > 0.
    expect(exports['relu_grad']!(job, 16 * 4, 32 * 4, 64 * 4, 6)).toBe(0);
    expect(Array.from(heap.subarray(64, 70))).toEqual([1, -2, 0, -0.25, 0, -6]);
  });
});
