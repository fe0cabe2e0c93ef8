// Runs the commands a user would run, and makes their failures readable: the command, its exit code
// and everything it printed.
import { spawn } from 'node:child_process';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  readonly ms: number;
}

export interface RunOptions {
  readonly cwd: string;
  /** Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Return a non-zero exit code instead of throwing (the caller judges the output). */
  readonly allowExitCode?: boolean;
  /** Variables to set on top of the clean environment; `undefined` removes one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment without what pnpm, turbo and vitest set for themselves: npm in the test project
 * must read its own config, not the workspace's (`npm_config_*`), and Node must start without
 * the test runner's options.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$|NODE_PATH$)/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** The last `max` characters: enough to see why, without flooding the report. */
function tail(text: string, max = 20_000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

export async function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const start = Date.now();
  const env = cleanEnv();
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? 600_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal, error } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => clearTimeout(timer));
  const ms = Date.now() - start;
  if (error || code === null || (code !== 0 && !options.allowExitCode)) {
    const why = error
      ? `could not start (${error.message})`
      : signal
        ? `was killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}`
        : `exited with ${code}`;
    throw new Error(
      `\`${[command, ...args].join(' ')}\` in ${options.cwd} ${why} after ${ms} ms\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
    );
  }
  return { stdout, stderr, code, ms };
}

/** The last line of stdout that parses as a JSON object: what the fixture scripts print. */
export function lastJson<T>(result: RunResult): T {
  const lines = result.stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // not the result line; keep looking
    }
  }
  throw new Error(`expected a JSON line on stdout, got:\n--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`);
}
