import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { VERSION } from '../src/index.js';

// changesets bumps package.json only; `pnpm version-packages` runs tooling/scripts/sync-version.mjs
// to carry the version into the VERSION constant. This catches a bump made any other way.
test('VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
