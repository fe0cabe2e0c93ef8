/**
 * What CUDA the machine has, found cheaply: the CUDA runtime and cuDNN sonames in the dynamic
 * linker cache (`ldconfig -p`) and the GPUs `nvidia-smi` lists. Used to explain a GPU build that
 * runs on the CPU: libtensorflow 2.9.1 (tfjs-node-gpu 4.x) opens libcudart.so.11.0 and
 * libcudnn.so.8, and quietly falls back to the CPU when they are absent (tensorflow/tfjs#8269, #8362).
 */

/** Runs a command; resolves its stdout, or undefined when it is absent, fails or times out. Never rejects. */
export type Exec = (file: string, args: readonly string[], timeoutMs: number) => Promise<string | undefined>;

/** `child_process.execFile`, imported only when called, so importing this package needs no Node APIs. */
export const defaultExec: Exec = async (file, args, timeoutMs) => {
  try {
    const { execFile } = await import('node:child_process');
    return await new Promise<string | undefined>((resolve) => {
      execFile(file, [...args], { encoding: 'utf8', timeout: timeoutMs, windowsHide: true, maxBuffer: 16 << 20 }, (error, stdout) =>
        resolve(error ? undefined : stdout),
      );
    });
  } catch {
    return undefined;
  }
};

/** What tfjs-node-gpu 4.x (libtensorflow 2.9.1) was built against, and the sonames it opens. */
export const GPU_REQUIREMENTS = {
  libtensorflow: '2.9.1',
  cuda: '11.2',
  cudnn: '8.1',
  cudartSoname: 'libcudart.so.11.0',
  cudnnSoname: 'libcudnn.so.8',
} as const;

export interface Gpu {
  readonly name: string;
  readonly driver: string;
}

export interface CudaEnvironment {
  /** Whether the dynamic linker cache could be read (Linux only). */
  readonly ldconfig: boolean;
  /** CUDA runtime sonames in the cache, newest first, e.g. `libcudart.so.12`. */
  readonly cudart: readonly string[];
  /** cuDNN sonames in the cache, newest first, e.g. `libcudnn.so.8`. */
  readonly cudnn: readonly string[];
  /** Whether `nvidia-smi` ran. */
  readonly nvidiaSmi: boolean;
  readonly gpus: readonly Gpu[];
  /** LD_LIBRARY_PATH is set: libraries there are not in the cache, so they go unseen here. */
  readonly ldLibraryPath: boolean;
}

function sonameVersion(soname: string): number[] {
  return soname
    .replace(/^.*\.so\./, '')
    .split('.')
    .map(Number);
}

function newestFirst(a: string, b: string): number {
  const [x, y] = [sonameVersion(a), sonameVersion(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (y[i] ?? -1) - (x[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** The libcudart / libcudnn sonames in `ldconfig -p` output (libcudnn_ops_infer & co. are left out). */
export function parseLdconfig(text: string): { cudart: string[]; cudnn: string[] } {
  const found = { cudart: new Set<string>(), cudnn: new Set<string>() };
  for (const line of text.split('\n')) {
    const m = /^\s*(lib(cudart|cudnn)\.so\.\d+(?:\.\d+)*)\s/.exec(line);
    if (m) found[m[2] as 'cudart' | 'cudnn'].add(m[1]!);
  }
  return { cudart: [...found.cudart].sort(newestFirst), cudnn: [...found.cudnn].sort(newestFirst) };
}

/** `nvidia-smi --query-gpu=name,driver_version --format=csv,noheader`: one `name, driver` per line. */
export function parseNvidiaSmi(text: string): Gpu[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(','))
    .map((line) => {
      const i = line.lastIndexOf(',');
      return { name: line.slice(0, i).trim(), driver: line.slice(i + 1).trim() };
    });
}

export async function detectCuda(
  exec: Exec,
  platform: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CudaEnvironment> {
  const ldconfig = async () =>
    platform === 'linux' ? ((await exec('ldconfig', ['-p'], 2000)) ?? (await exec('/sbin/ldconfig', ['-p'], 2000))) : undefined;
  const [ld, smi] = await Promise.all([ldconfig(), exec('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], 3000)]);
  const libs = ld === undefined ? { cudart: [], cudnn: [] } : parseLdconfig(ld);
  return {
    ldconfig: ld !== undefined,
    ...libs,
    nvidiaSmi: smi !== undefined,
    gpus: smi === undefined ? [] : parseNvidiaSmi(smi),
    ldLibraryPath: Boolean(env.LD_LIBRARY_PATH),
  };
}

/** CUDA's version from its runtime soname: libcudart.so.11.0 serves every 11.x, libcudart.so.12 every 12.x. */
function cudaVersion(soname: string): string {
  const [major = 0, minor = 0] = sonameVersion(soname);
  return major >= 11 ? `${major}.x` : `${major}.${minor}`;
}

function libraries(found: readonly string[], what: string, version: (soname: string) => string, ldconfig: boolean): string {
  if (!ldconfig) return `${what} unknown (no ldconfig cache)`;
  if (found.length === 0) return `no ${what}`;
  return found.map((s) => `${what} ${version(s)} (${s})`).join(', ');
}

/** "CUDA runtime 12.x (libcudart.so.12)", "no cuDNN", … for details and warnings. */
export function describeCuda(cuda: CudaEnvironment): { cudaRuntime: string; cudnn: string; gpu: string } {
  const gpu = !cuda.nvidiaSmi
    ? 'nvidia-smi not found (no NVIDIA driver?)'
    : cuda.gpus.length === 0
      ? 'nvidia-smi lists no GPU'
      : cuda.gpus.map((g) => `${g.name} (driver ${g.driver})`).join(', ');
  const note = cuda.ldLibraryPath ? ' [ldconfig cache only; LD_LIBRARY_PATH not searched]' : '';
  return {
    cudaRuntime: libraries(cuda.cudart, 'CUDA runtime', cudaVersion, cuda.ldconfig) + note,
    cudnn: libraries(cuda.cudnn, 'cuDNN', (s) => `${sonameVersion(s)[0]}.x`, cuda.ldconfig) + note,
    gpu,
  };
}
