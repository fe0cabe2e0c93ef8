#!/usr/bin/env node
// Runs after `changeset version` (pnpm version-packages): copies @resnet/core's new version from its
// package.json into the VERSION constant of packages/core/src/index.ts, which `resnet --version`
// and the CLI's help print. changesets edits package.json files only. A core test checks the two agree.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const core = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/core');
const { version } = JSON.parse(readFileSync(path.join(core, 'package.json'), 'utf8'));
const indexFile = path.join(core, 'src/index.ts');
const source = readFileSync(indexFile, 'utf8');
const pattern = /export const VERSION = '[^']*';/;
if (!pattern.test(source)) throw new Error(`sync-version: no "export const VERSION = '…';" line in ${indexFile}`);
const updated = source.replace(pattern, `export const VERSION = '${version}';`);
if (updated !== source) writeFileSync(indexFile, updated);
console.log(`@resnet/core VERSION = ${version}`);
