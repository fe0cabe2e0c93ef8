// Debian's Chromium, headless, through playwright-core (never `playwright install`: its browser
// download fails on these machines, and Debian's chromium is what CI installs).
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';

export type { Page } from 'playwright-core';

/** `apt-get install -y chromium` puts it here; `CHROMIUM_PATH` overrides. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The flags that work as root on these machines (see /work/shared/ENVIRONMENT.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

export interface ChromiumOptions {
  /** Default: `CHROMIUM_PATH`, else /usr/bin/chromium. */
  readonly executablePath?: string;
  /** Added after CHROMIUM_ARGS. */
  readonly args?: readonly string[];
  /** Flags of CHROMIUM_ARGS to leave out, e.g. `['--enable-unsafe-webgpu']` to test a browser without WebGPU. */
  readonly omitArgs?: readonly string[];
  /** Prefix of forwarded console lines; default `[chromium]`. */
  readonly logPrefix?: string;
  /** Also called with each console message and page error (e.g. to assert on them). */
  readonly onConsole?: (type: string, text: string) => void;
  /** Default 120 s: how long `fn` may take before the browser is closed and the call rejects. */
  readonly timeoutMs?: number;
}

export interface ChromiumAvailability {
  readonly available: boolean;
  /** Why not, and how to fix it. */
  readonly reason?: string;
  readonly executablePath: string;
}

function executable(options: ChromiumOptions = {}): string {
  return options.executablePath ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
}

/** Whether Chromium can be launched from here, so tests can skip with the reason. */
export function chromiumAvailable(options: ChromiumOptions = {}): ChromiumAvailability {
  const executablePath = executable(options);
  try {
    accessSync(executablePath, constants.X_OK);
    return { available: true, executablePath };
  } catch {
    return {
      available: false,
      executablePath,
      reason:
        `no Chromium at ${executablePath}: apt-get install -y chromium (Debian's; do not run \`playwright install\`), ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome executable',
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Launches headless Chromium with a fresh temporary profile, runs `fn` on its page, then closes the
 * browser and deletes the profile, whatever happens. Page console messages and errors are printed
 * to the Node console, prefixed.
 */
export async function withChromium<T>(fn: (page: Page) => Promise<T>, options: ChromiumOptions = {}): Promise<T> {
  const status = chromiumAvailable(options);
  if (!status.available) throw new Error(status.reason);
  const prefix = options.logPrefix ?? '[chromium]';
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'resnet-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: status.executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS.filter((a) => !options.omitArgs?.includes(a)), ...(options.args ?? [])],
      timeout: 60_000,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (message) => {
        const type = message.type();
        const text = message.text();
        options.onConsole?.(type, text);
        const line = `${prefix} ${type === 'log' ? '' : `${type}: `}${text}`;
        if (type === 'error' || type === 'warning') console.error(line);
        else console.log(line);
      });
      page.on('pageerror', (error) => {
        options.onConsole?.('pageerror', error.message);
        console.error(`${prefix} page error: ${error.stack ?? error.message}`);
      });
      page.on('crash', () => console.error(`${prefix} the page crashed`));
      return await withTimeout(fn(page), options.timeoutMs ?? 120_000, 'the Chromium session');
    } finally {
      await context.close().catch((e: unknown) => console.error(`${prefix} closing the browser failed: ${String(e)}`));
    }
  } finally {
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
