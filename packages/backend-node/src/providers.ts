/**
 * The `node-gpu` and `node` providers: @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node, both
 * the tfjs backend `tensorflow` (libtensorflow through a native addon). Neither is imported until
 * a probe or an activation asks for it, so importing this package never fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, type BackendProvider, type BackendStatus } from '@resnet/core';
import { CPU_PACKAGE, GPU_PACKAGE, createLoader, tfjsNodeVersion, type ImportModule, type LoadResult, type NodePackage } from './load.js';
import { GPU_REQUIREMENTS, defaultExec, describeCuda, detectCuda, type CudaEnvironment, type Exec } from './system.js';

export interface NodeProviderOptions {
  /** Loads a package by name; a dynamic `import()` by default. */
  readonly importModule?: ImportModule;
  /** Runs `ldconfig -p` and `nvidia-smi`; `child_process.execFile` with a time-out by default. */
  readonly exec?: Exec;
  /** `process.platform` by default (the linker cache is read on Linux only). */
  readonly platform?: string;
  /** `process.env` by default (for LD_LIBRARY_PATH). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface NodeProviders {
  /** @tensorflow/tfjs-node-gpu, priority 50. */
  readonly nodeGpu: BackendProvider;
  /** @tensorflow/tfjs-node, priority 40. */
  readonly node: BackendProvider;
}

const TFJS_BACKEND = 'tensorflow';
export const CPU_DEVICE = 'CPU (libtensorflow)';
const { cuda: CUDA, cudnn: CUDNN } = GPU_REQUIREMENTS;

const GPU_NEEDS = `Linux x64 with an NVIDIA driver, CUDA ${CUDA} and cuDNN ${CUDNN} for tfjs-node-gpu 4.x`;
const INSTALL: Record<NodePackage, string> = {
  [GPU_PACKAGE]: `Install it with \`npm install ${GPU_PACKAGE}\` (${GPU_NEEDS}), or \`npm install ${CPU_PACKAGE}\` for the CPU build.`,
  [CPU_PACKAGE]: `Install it with \`npm install ${CPU_PACKAGE}\` (the CPU build), or \`npm install ${GPU_PACKAGE}\` for CUDA (${GPU_NEEDS}).`,
};
const OFFLINE =
  'Its install script downloads libtensorflow: offline, set TFJS_NODE_BASE_URI to an http:// mirror of the libtensorflow tarball (file: URLs are refused).';

/** Why a package could not load, and what to do: one sentence each. */
export function failureReason(pkg: NodePackage, failure: Extract<LoadResult, { ok: false }>): string {
  const rebuild = `Rebuild it with \`npm rebuild ${pkg}\` (add \`--build-addon-from-source\` to compile the addon with node-gyp).`;
  switch (failure.kind) {
    case 'not-installed':
      return `${pkg} is not installed (${failure.message}). ${INSTALL[pkg]} ${OFFLINE}`;
    case 'addon-missing':
      return (
        `${pkg} is installed but its native addon was never built (${failure.message}): its install script, ` +
        'which downloads libtensorflow and builds tfjs_binding.node, did not run or failed ' +
        '(pnpm 10 runs dependency install scripts only when allowed: `pnpm approve-builds`). ' +
        `${rebuild} ${OFFLINE}`
      );
    case 'native':
      return (
        `${pkg} is installed but its native library failed to load (${failure.message}). ` +
        (pkg === GPU_PACKAGE
          ? `It needs ${GPU_NEEDS}, and libtensorflow ${GPU_REQUIREMENTS.libtensorflow} from its install script. `
          : 'It needs the libtensorflow its install script downloads. ') +
        `${rebuild} ${OFFLINE}`
      );
    case 'conflict':
      return `${pkg} is not loaded: ${failure.message}.`;
    case 'error':
      return `${pkg} failed to load (${failure.message}). ${INSTALL[pkg]}`;
  }
}

/** The silent CPU fallback of a GPU build, explained with what the machine has. */
function fallbackWarning(version: string, libtensorflow: string, cuda: CudaEnvironment): string {
  const found = describeCuda(cuda);
  const hasLibs = cuda.cudart.includes(GPU_REQUIREMENTS.cudartSoname) && cuda.cudnn.includes(GPU_REQUIREMENTS.cudnnSoname);
  const hint =
    hasLibs && cuda.gpus.length > 0
      ? 'The libraries and a GPU are there: check that the driver supports CUDA 11.2 and that LD_LIBRARY_PATH does not shadow them.'
      : `Install the CUDA 11 runtime (${GPU_REQUIREMENTS.cudartSoname}, cuBLAS 11 …) and cuDNN 8 (${GPU_REQUIREMENTS.cudnnSoname}) beside any newer ones and make them visible to the dynamic linker (ldconfig or LD_LIBRARY_PATH), or use ${CPU_PACKAGE}, as fast on the CPU.`;
  return (
    `WARNING: ${GPU_PACKAGE} ${version} runs on the CPU: libtensorflow ${libtensorflow} found no usable GPU and fell back silently. ` +
    `It needs CUDA ${CUDA} (${GPU_REQUIREMENTS.cudartSoname}) and cuDNN ${CUDNN} (${GPU_REQUIREMENTS.cudnnSoname}); ` +
    `found: ${found.cudaRuntime}; ${found.cudnn}; GPU: ${found.gpu}. ${hint} See tensorflow/tfjs#8269 and #8362.`
  );
}

/** The two providers, sharing one loader (only one of the packages can load per process). */
export function createNodeProviders(options: NodeProviderOptions = {}): NodeProviders {
  const importModule: ImportModule = options.importModule ?? ((specifier) => import(/* @vite-ignore */ specifier));
  const exec = options.exec ?? defaultExec;
  const platform = options.platform ?? globalThis.process?.platform ?? 'unknown';
  const env = options.env ?? globalThis.process?.env ?? {};
  const load = createLoader(importModule);
  let cuda: Promise<CudaEnvironment> | undefined;

  async function status(name: string, pkg: NodePackage): Promise<BackendStatus> {
    const base = { name, tfjsBackend: TFJS_BACKEND };
    let result: LoadResult;
    try {
      result = await load(pkg);
    } catch (e) {
      result = { ok: false, kind: 'error', message: e instanceof Error ? e.message : String(e) };
    }
    if (!result.ok) return { ...base, available: false, reason: failureReason(pkg, result), details: { package: pkg } };

    const version = tfjsNodeVersion(result.module) ?? 'unknown version';
    const tfVersion = result.backend.binding?.TF_Version;
    const libtensorflow = typeof tfVersion === 'string' ? tfVersion : 'unknown';
    const details: Record<string, string> = { package: pkg, 'tfjs-node': version, libtensorflow };
    if (pkg === CPU_PACKAGE) return { ...base, available: true, device: CPU_DEVICE, details };

    cuda ??= detectCuda(exec, platform, env);
    const found = await cuda;
    const described = describeCuda(found);
    const onGpu = result.backend.isUsingGpuDevice === true;
    Object.assign(details, {
      'built for': `CUDA ${CUDA}, cuDNN ${CUDNN}`,
      'CUDA runtime': described.cudaRuntime,
      cuDNN: described.cudnn,
      GPU: described.gpu,
      'GPU in use': onGpu ? 'yes' : 'no',
    });
    if (!onGpu)
      return { ...base, available: true, device: CPU_DEVICE, details, warnings: [fallbackWarning(version, libtensorflow, found)] };
    const gpu = found.gpus[0];
    return { ...base, available: true, device: gpu ? `${gpu.name} (CUDA)` : 'GPU (CUDA)', details };
  }

  function provider(name: string, pkg: NodePackage, priority: number): BackendProvider {
    return {
      name,
      tfjsBackend: TFJS_BACKEND,
      priority,
      probe: () => status(name, pkg),
      async activate() {
        const s = await status(name, pkg);
        if (!s.available) throw new ResNetError(`resnet: the ${name} backend cannot run here: ${s.reason ?? 'unavailable'}`);
        if (!(await tf.setBackend(TFJS_BACKEND))) {
          throw new ResNetError(`resnet: ${pkg} loaded but the tfjs backend "${TFJS_BACKEND}" failed to initialise`);
        }
        await tf.ready();
        return s;
      },
    };
  }

  return { nodeGpu: provider('node-gpu', GPU_PACKAGE, 50), node: provider('node', CPU_PACKAGE, 40) };
}
