/**
 * Loading @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, lazily and at most once, and saying
 * why not when it fails. Both packages register the same tfjs backend, `tensorflow`, and their
 * kernels, on import (tfjs-node/src/index.ts), so only one of the two may load in a process.
 */
import * as tf from '@tensorflow/tfjs-core';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
export const CPU_PACKAGE = '@tensorflow/tfjs-node';
export type NodePackage = typeof GPU_PACKAGE | typeof CPU_PACKAGE;

/** Loads a package by name, like a dynamic `import()`. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** The fields of tfjs-node's `NodeJSKernelBackend` (tfjs-node/src/nodejs_kernel_backend.ts) read here. */
export interface TfjsNodeBackend {
  /** From the native binding: TensorFlow listed a GPU device (else it runs on the host CPU). */
  readonly isUsingGpuDevice?: unknown;
  /** Whether the package that made it is @tensorflow/tfjs-node-gpu. */
  readonly isGPUPackage?: unknown;
  /** The native binding; `TF_Version` is libtensorflow's `TF_Version()`. */
  readonly binding?: { readonly TF_Version?: unknown };
}

/**
 * - `not-installed`: the package itself cannot be found (ERR_MODULE_NOT_FOUND / MODULE_NOT_FOUND).
 * - `addon-missing`: installed, but its install script never built `tfjs_binding.node`.
 * - `native`: the addon or libtensorflow failed to load (dlopen).
 * - `conflict`: the other package already provides the `tensorflow` backend in this process.
 * - `error`: anything else, e.g. a missing dependency of the package.
 */
export type LoadFailureKind = 'not-installed' | 'addon-missing' | 'native' | 'conflict' | 'error';

export type LoadResult =
  | { readonly ok: true; readonly module: unknown; readonly backend: TfjsNodeBackend }
  | { readonly ok: false; readonly kind: LoadFailureKind; readonly message: string };

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);
const DLOPEN_MESSAGE =
  /cannot open shared object|dlopen|invalid ELF header|wrong ELF class|GLIBC_|GLIBCXX_|undefined symbol|Library not loaded|image not found|specified module could not be found/i;

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim().replace(/\.$/, '');
}

/** Sorts a loader's error into the kinds above; `message` is the loader's own first line. */
export function classifyLoadError(pkg: string, error: unknown): { kind: LoadFailureKind; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = firstLine(error instanceof Error ? error.message : String(error));
  const namesPackage = [`'${pkg}'`, `"${pkg}"`, `'${pkg}/`, `"${pkg}/`].some((s) => message.includes(s));
  // Node says "Cannot find package/module"; Vite's resolver (vitest, Vite SSR) says `Could not resolve "pkg"`.
  const notFound =
    (typeof code === 'string' && NOT_FOUND_CODES.has(code)) || /^(Cannot find (package|module)|Could not resolve) /.test(message);
  // A missing dependency of the package is not the package missing.
  if (notFound) return { kind: namesPackage ? 'not-installed' : 'error', message };
  if (message.includes('tfjs_binding.node) can not be found')) return { kind: 'addon-missing', message };
  if (code === 'ERR_DLOPEN_FAILED' || DLOPEN_MESSAGE.test(message)) return { kind: 'native', message };
  return { kind: 'error', message };
}

/**
 * A failed load of one package may already have registered the `tensorflow` kernels (they are
 * registered before the addon is looked for); the other package then registers the same ~150
 * kernels again, each with a console warning. Those warnings only are dropped while it loads.
 */
async function withoutDuplicateKernelWarnings<T>(load: () => Promise<T>): Promise<T> {
  if (tf.getKernelsForBackend('tensorflow').length === 0) return load();
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^The kernel '[^']+' for backend 'tensorflow' is already registered$/.test(args[0])) return;
    warn.apply(console, args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

/** The `tensorflow` backend registered with the (process-wide) tfjs engine, if any. */
function tensorflowBackend(): TfjsNodeBackend | undefined {
  if (!tf.findBackendFactory('tensorflow')) return undefined;
  return (tf.findBackend('tensorflow') as unknown as TfjsNodeBackend | null) ?? undefined;
}

/**
 * A loader shared by the two providers: loads are serialised (probes run concurrently), each
 * package's outcome is kept (a process cannot unload a native library, and retrying a failed
 * dlopen does not help), and once one package has loaded the other is refused.
 */
export function createLoader(importModule: ImportModule): (pkg: NodePackage) => Promise<LoadResult> {
  const results = new Map<NodePackage, Promise<LoadResult>>();
  let queue: Promise<unknown> = Promise.resolve();
  let loaded: NodePackage | undefined;

  async function loadOnce(pkg: NodePackage): Promise<LoadResult> {
    const other = pkg === GPU_PACKAGE ? CPU_PACKAGE : GPU_PACKAGE;
    const conflict = (how: string): LoadResult => ({
      ok: false,
      kind: 'conflict',
      message:
        `${other} is already loaded in this process${how} and provides the same tfjs backend ("tensorflow"); ` +
        'only one of the two packages can be loaded per process',
    });
    if (loaded && loaded !== pkg) return conflict('');
    // Someone imported one of them directly: its backend says which.
    const existing = tensorflowBackend();
    if (!loaded && existing && typeof existing.isGPUPackage === 'boolean' && (existing.isGPUPackage ? GPU_PACKAGE : CPU_PACKAGE) !== pkg) {
      return conflict(' (imported outside @resnet/backend-node)');
    }

    // tfjs-node switches the engine to `tensorflow` on import; a probe must not switch, so the
    // backend in use before is put back. (With none chosen yet, `tensorflow` stays, as tfjs would pick it.)
    const before = tf.engine().backendName as string | null | undefined;
    let module: unknown;
    try {
      module = await withoutDuplicateKernelWarnings(() => importModule(pkg));
    } catch (e) {
      return { ok: false, ...classifyLoadError(pkg, e) };
    }
    if (before && tf.engine().backendName !== before) {
      try {
        await tf.setBackend(before);
      } catch {
        // The previous backend stays registered; useBackend() reports any later failure.
      }
    }
    const backend = tensorflowBackend();
    if (!backend) {
      return {
        ok: false,
        kind: 'error',
        message: `${pkg} loaded but registered no tfjs backend "tensorflow" with the engine @resnet/core uses`,
      };
    }
    loaded = pkg;
    return { ok: true, module, backend };
  }

  return (pkg) => {
    let result = results.get(pkg);
    if (!result) {
      result = queue.then(() => loadOnce(pkg));
      queue = result.catch(() => undefined);
      results.set(pkg, result);
    }
    return result;
  };
}

/** The package's own version (`tf.version['tfjs-node']` in tfjs-node), from its namespace or default export. */
export function tfjsNodeVersion(module: unknown): string | undefined {
  const ns = (module ?? {}) as { version?: Record<string, unknown>; default?: { version?: Record<string, unknown> } };
  const v = ns.version?.['tfjs-node'] ?? ns.default?.version?.['tfjs-node'];
  return typeof v === 'string' ? v : undefined;
}
