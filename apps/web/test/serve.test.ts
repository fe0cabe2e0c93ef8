// `pnpm web` serves the built page (vite preview of dist/), not Vite's dev server, which reloads the
// page while it optimises dependencies and so could interrupt a user's first training run (issue #15).
// The root script is read as written, and the app's own `preview` script is run as it would run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.join(here, '..');
const root = path.join(app, '..', '..');
const scripts = (dir: string): Record<string, string> =>
  (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid) process.kill(-child.pid, 'SIGTERM');
});

describe('pnpm web', () => {
  test('builds the app and then serves it with the preview server, not the dev server', () => {
    const web = scripts(root)['web'] ?? '';
    const steps = web.split('&&').map((s) => s.trim());
    expect(steps[0]).toMatch(/^turbo run build --filter=@resnet\/web\.\.\. /); // the app itself, with its dependencies
    expect(steps.at(-1)).toBe('pnpm --filter @resnet/web preview');
    expect(scripts(app)['preview']).toMatch(/^vite preview\b/);
  });

  test("the app's preview script serves the built page, cross-origin isolated", async () => {
    if (!existsSync(path.join(app, 'dist', 'index.html')))
      throw new Error(`no ${app}/dist/index.html: run \`pnpm build\` in apps/web first (turbo's test task does)`);
    const port = await freePort();
    child = spawn('sh', ['-c', `${scripts(app)['preview']} --port ${port} --strictPort`], {
      cwd: app,
      // CI may force colours (FORCE_COLOR), and vite then splits the URL with escape codes: ask for none.
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', PATH: `${path.join(app, 'node_modules', '.bin')}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}/`;
    const started = Date.now();
    // eslint-disable-next-line no-control-regex
    const plain = (): string => output.replace(/\u001b\[[0-9;]*m/g, ''); // and strip any that still come
    while (!plain().includes(url)) {
      if (Date.now() - started > 30_000 || child.exitCode !== null) throw new Error(`vite preview did not start:\n${plain()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const response = await fetch(url);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    // The built page: hashed bundles under /assets/, none of the dev server's client or sources.
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html).not.toContain('/@vite/client');
    expect(html).not.toContain('/src/main.ts');
  }, 60_000);
});
