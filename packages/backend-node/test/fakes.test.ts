// The loading, GPU and version detection with injected fakes: a tfjs-node that loads, a GPU build
// on the CPU, a native library that fails to load, and the system commands' output.
import * as tf from '@tensorflow/tfjs-core';
import '@resnet/backend-cpu';
import { ResNetError } from '@resnet/core';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  CPU_PACKAGE,
  GPU_PACKAGE,
  classifyLoadError,
  createNodeProviders,
  nodeBackendConformanceStatus,
  parseLdconfig,
  parseNvidiaSmi,
  type Exec,
} from '../src/index.js';

/** Stands in for tfjs-node's NodeJSKernelBackend: the fields the providers read. */
class FakeNodeBackend extends tf.KernelBackend {
  readonly binding = { TF_Version: '2.9.1' };
  constructor(
    readonly isUsingGpuDevice: boolean,
    readonly isGPUPackage: boolean,
  ) {
    super();
  }
  override dispose(): void {}
}

/** Like tfjs-node's index: registers `tensorflow` and switches to it on import. */
function fakeTfjsNode(pkg: string, onGpu: boolean) {
  return async () => {
    tf.registerBackend('tensorflow', () => new FakeNodeBackend(onGpu, pkg === GPU_PACKAGE), 3);
    await tf.setBackend('tensorflow');
    return { version: { 'tfjs-core': '4.22.0', 'tfjs-node': '4.22.0' } };
  };
}

/** Node's error for a package that is not installed, as `import()` throws it. */
function notInstalled(pkg: string): never {
  throw Object.assign(new Error(`Cannot find package '${pkg}' imported from /app/node_modules/@resnet/backend-node/dist/providers.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

function importing(modules: Partial<Record<string, () => Promise<unknown>>>) {
  return vi.fn(async (pkg: string) => (modules[pkg] ?? (() => notInstalled(pkg)))());
}

const LDCONFIG_CUDA12 = `1234 libs found in cache \`/etc/ld.so.cache'
\tlibcudnn_ops_infer.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn_ops_infer.so.8
\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12
\tlibcudart.so (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so
\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9
\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
`;
const LDCONFIG_CUDA11 = `\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.2/lib64/libcudart.so.11.0
\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8
`;
const SMI = 'NVIDIA GeForce RTX 3090, 550.54.15\n';

function system(ldconfig: string | undefined, smi: string | undefined): Exec & ReturnType<typeof vi.fn> {
  return vi.fn(async (file: string) => (file.endsWith('ldconfig') ? ldconfig : file === 'nvidia-smi' ? smi : undefined)) as never;
}

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
});

describe('a GPU build that finds its GPU', () => {
  test('is available on the GPU named by nvidia-smi, with versions; activate() switches to tensorflow', async () => {
    const exec = system(LDCONFIG_CUDA11, SMI);
    const { nodeGpu, node } = createNodeProviders({
      importModule: importing({ [GPU_PACKAGE]: fakeTfjsNode(GPU_PACKAGE, true) }),
      exec,
      platform: 'linux',
      env: {},
    });
    const status = await nodeGpu.probe();
    expect(status).toEqual({
      name: 'node-gpu',
      tfjsBackend: 'tensorflow',
      available: true,
      device: 'NVIDIA GeForce RTX 3090 (CUDA)',
      details: {
        package: GPU_PACKAGE,
        'tfjs-node': '4.22.0',
        libtensorflow: '2.9.1',
        'built for': 'CUDA 11.2, cuDNN 8.1',
        'CUDA runtime': 'CUDA runtime 11.x (libcudart.so.11.0)',
        cuDNN: 'cuDNN 8.x (libcudnn.so.8)',
        GPU: 'NVIDIA GeForce RTX 3090 (driver 550.54.15)',
        'GPU in use': 'yes',
      },
    });
    // The probe put the cpu backend back after tfjs-node switched on import.
    expect(tf.getBackend()).toBe('cpu');
    expect(exec).toHaveBeenCalledWith('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], 3000);
    expect(exec).toHaveBeenCalledWith('ldconfig', ['-p'], 2000);

    expect(await nodeGpu.activate()).toEqual(status);
    expect(tf.getBackend()).toBe('tensorflow');
    // Both register `tensorflow`: with the GPU build loaded, the CPU twin is not loaded too.
    const other = await node.probe();
    expect(other.available).toBe(false);
    expect(other.reason).toMatch(/^@tensorflow\/tfjs-node is not loaded: @tensorflow\/tfjs-node-gpu is already loaded in this process/);
    await expect(node.activate()).rejects.toBeInstanceOf(ResNetError);
    expect(await nodeBackendConformanceStatus('node-gpu', { providers: { nodeGpu, node }, requireGpu: true })).toMatchObject({
      run: true,
      onGpu: true,
    });
  });

  test('without nvidia-smi the device is still a GPU', async () => {
    const { nodeGpu } = createNodeProviders({
      importModule: importing({ [GPU_PACKAGE]: fakeTfjsNode(GPU_PACKAGE, true) }),
      exec: system(undefined, undefined),
      platform: 'linux',
      env: {},
    });
    expect((await nodeGpu.probe()).device).toBe('GPU (CUDA)');
  });
});

describe('a GPU build on the CPU (the silent fallback)', () => {
  test('is available on the CPU with a WARNING naming CUDA 11.2 / cuDNN 8.1 and what was found', async () => {
    const { nodeGpu, node } = createNodeProviders({
      importModule: importing({ [GPU_PACKAGE]: fakeTfjsNode(GPU_PACKAGE, false) }),
      exec: system(LDCONFIG_CUDA12, SMI),
      platform: 'linux',
      env: {},
    });
    const status = await nodeGpu.probe();
    expect(status).toMatchObject({
      available: true,
      device: 'CPU (libtensorflow)',
      details: { 'GPU in use': 'no', 'CUDA runtime': 'CUDA runtime 12.x (libcudart.so.12)' },
    });
    expect(status.warnings).toHaveLength(1);
    const warning = status.warnings![0]!;
    expect(warning).toMatch(/^WARNING: @tensorflow\/tfjs-node-gpu 4\.22\.0 runs on the CPU: libtensorflow 2\.9\.1 found no usable GPU/);
    expect(warning).toContain('It needs CUDA 11.2 (libcudart.so.11.0) and cuDNN 8.1 (libcudnn.so.8)');
    expect(warning).toContain(
      'found: CUDA runtime 12.x (libcudart.so.12); cuDNN 9.x (libcudnn.so.9); GPU: NVIDIA GeForce RTX 3090 (driver 550.54.15)',
    );
    expect(warning).toContain('tensorflow/tfjs#8269');
    expect(await nodeGpu.activate()).toEqual(status);

    const gate = { providers: { nodeGpu, node } };
    expect(await nodeBackendConformanceStatus('node-gpu', gate)).toMatchObject({ run: true, onGpu: false });
    expect(await nodeBackendConformanceStatus('node-gpu', { ...gate, requireGpu: true })).toMatchObject({ run: false, skipped: warning });
  });

  test('says what it could not look at: no ldconfig cache, no nvidia-smi, LD_LIBRARY_PATH', async () => {
    const { nodeGpu } = createNodeProviders({
      importModule: importing({ [GPU_PACKAGE]: fakeTfjsNode(GPU_PACKAGE, false) }),
      exec: system(undefined, undefined),
      platform: 'linux',
      env: { LD_LIBRARY_PATH: '/opt/cuda/lib64' },
    });
    const warning = (await nodeGpu.probe()).warnings![0]!;
    expect(warning).toContain('found: CUDA runtime unknown (no ldconfig cache) [ldconfig cache only; LD_LIBRARY_PATH not searched]');
    expect(warning).toContain('GPU: nvidia-smi not found (no NVIDIA driver?)');
  });
});

describe('the CPU build', () => {
  test('is available on libtensorflow and runs no system command', async () => {
    const exec = system(LDCONFIG_CUDA12, SMI);
    const { nodeGpu, node } = createNodeProviders({
      importModule: importing({ [CPU_PACKAGE]: fakeTfjsNode(CPU_PACKAGE, false) }),
      exec,
      platform: 'linux',
      env: {},
    });
    expect((await nodeGpu.probe()).reason).toMatch(
      /^@tensorflow\/tfjs-node-gpu is not installed \(Cannot find package '@tensorflow\/tfjs-node-gpu' imported from /,
    );
    expect(await node.probe()).toEqual({
      name: 'node',
      tfjsBackend: 'tensorflow',
      available: true,
      device: 'CPU (libtensorflow)',
      details: { package: CPU_PACKAGE, 'tfjs-node': '4.22.0', libtensorflow: '2.9.1' },
    });
    expect(exec).not.toHaveBeenCalled();
  });
});

describe('failures', () => {
  test('a native load failure (dlopen) is unavailable with the loader message; the CPU twin is still tried', async () => {
    const dlopen = Object.assign(new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory'), {
      code: 'ERR_DLOPEN_FAILED',
    });
    const importModule = importing({ [GPU_PACKAGE]: () => Promise.reject(dlopen) });
    const { nodeGpu, node } = createNodeProviders({ importModule, exec: system(undefined, undefined), platform: 'linux', env: {} });
    const status = await nodeGpu.probe();
    expect(status).toMatchObject({ available: false, details: { package: GPU_PACKAGE } });
    expect(status.reason).toBe(
      '@tensorflow/tfjs-node-gpu is installed but its native library failed to load (libtensorflow.so.2: cannot open shared object file: No such file or directory). ' +
        'It needs Linux x64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 for tfjs-node-gpu 4.x, and libtensorflow 2.9.1 from its install script. ' +
        'Rebuild it with `npm rebuild @tensorflow/tfjs-node-gpu` (add `--build-addon-from-source` to compile the addon with node-gyp). ' +
        'Its install script downloads libtensorflow: offline, set TFJS_NODE_BASE_URI to an http:// mirror of the libtensorflow tarball (file: URLs are refused).',
    );
    await expect(nodeGpu.activate()).rejects.toThrow(`resnet: the node-gpu backend cannot run here: ${status.reason}`);
    expect((await node.probe()).reason).toMatch(/^@tensorflow\/tfjs-node is not installed/);
    // Each package is imported once, however often it is probed.
    expect(importModule.mock.calls.map(([pkg]) => pkg)).toEqual([GPU_PACKAGE, CPU_PACKAGE]);
  });

  test('not installed: ERR_MODULE_NOT_FOUND, with install instructions', async () => {
    const { nodeGpu, node } = createNodeProviders({ importModule: importing({}), exec: system(undefined, undefined) });
    const [gpu, cpu] = await Promise.all([nodeGpu.probe(), node.probe()]);
    expect(gpu.reason).toMatch(
      /^@tensorflow\/tfjs-node-gpu is not installed \(Cannot find package '@tensorflow\/tfjs-node-gpu' imported from \/app\/node_modules\/@resnet\/backend-node\/dist\/providers\.js\)\. /,
    );
    expect(gpu.reason).toContain(
      'Install it with `npm install @tensorflow/tfjs-node-gpu` (Linux x64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 for tfjs-node-gpu 4.x), or `npm install @tensorflow/tfjs-node` for the CPU build.',
    );
    expect(gpu.reason).toContain('TFJS_NODE_BASE_URI');
    expect(cpu.reason).toContain('Install it with `npm install @tensorflow/tfjs-node` (the CPU build)');
    await expect(nodeBackendConformanceStatus('node', { providers: { nodeGpu, node } })).resolves.toMatchObject({
      run: false,
      skipped: cpu.reason,
    });
  });

  test('the loader errors are told apart', () => {
    const error = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const pkg = GPU_PACKAGE;
    expect(classifyLoadError(pkg, error(`Cannot find package '${pkg}' imported from /app/x.js`, 'ERR_MODULE_NOT_FOUND')).kind).toBe(
      'not-installed',
    );
    expect(classifyLoadError(pkg, error(`Could not resolve "${pkg}" imported by "@resnet/backend-node"`, undefined)).kind).toBe(
      'not-installed',
    ); // Vite's wording
    expect(classifyLoadError(pkg, error(`Cannot find module '${pkg}'\nRequire stack:\n- /app/x.js`, 'MODULE_NOT_FOUND'))).toEqual({
      kind: 'not-installed',
      message: `Cannot find module '${pkg}'`,
    });
    // A dependency of the package missing is not the package missing.
    expect(classifyLoadError(pkg, error("Cannot find module '@tensorflow/tfjs'", 'MODULE_NOT_FOUND')).kind).toBe('error');
    expect(classifyLoadError(pkg, error('/x/lib/napi-v8/tfjs_binding.node: invalid ELF header')).kind).toBe('native');
    expect(classifyLoadError(pkg, error('libcudart.so.11.0: cannot open shared object file', 'ERR_DLOPEN_FAILED')).kind).toBe('native');
    expect(
      classifyLoadError(pkg, error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x. \nPlease run')).kind,
    ).toBe('addon-missing');
    expect(classifyLoadError(pkg, 'boom')).toEqual({ kind: 'error', message: 'boom' });
  });

  test('a loader that throws something odd never makes probe() throw', async () => {
    const { nodeGpu } = createNodeProviders({ importModule: () => Promise.reject(undefined), exec: system(undefined, undefined) });
    expect(await nodeGpu.probe()).toMatchObject({
      available: false,
      reason:
        '@tensorflow/tfjs-node-gpu failed to load (undefined). ' +
        'Install it with `npm install @tensorflow/tfjs-node-gpu` (Linux x64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 for tfjs-node-gpu 4.x), or `npm install @tensorflow/tfjs-node` for the CPU build.',
    });
  });

  test('concurrent probes load each package once, in turn', async () => {
    let running = 0;
    let overlapped = false;
    const importModule = vi.fn(async (pkg: string) => {
      overlapped ||= running > 0;
      running++;
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return notInstalled(pkg);
    });
    const { nodeGpu, node } = createNodeProviders({ importModule, exec: system(undefined, undefined) });
    await Promise.all([nodeGpu.probe(), node.probe(), nodeGpu.probe(), node.activate().catch(() => undefined)]);
    expect(importModule).toHaveBeenCalledTimes(2);
    expect(overlapped).toBe(false);
  });
});

describe('system output parsing', () => {
  test('ldconfig -p: the CUDA runtime and cuDNN sonames, newest first', () => {
    expect(parseLdconfig(LDCONFIG_CUDA12 + LDCONFIG_CUDA11)).toEqual({
      cudart: ['libcudart.so.12', 'libcudart.so.11.0'],
      cudnn: ['libcudnn.so.9', 'libcudnn.so.8'],
    });
    expect(parseLdconfig('')).toEqual({ cudart: [], cudnn: [] });
  });

  test('nvidia-smi: one GPU per line', () => {
    expect(parseNvidiaSmi('NVIDIA A100-SXM4-80GB, 535.104.05\nTesla T4, 535.104.05\n')).toEqual([
      { name: 'NVIDIA A100-SXM4-80GB', driver: '535.104.05' },
      { name: 'Tesla T4', driver: '535.104.05' },
    ]);
  });
});
