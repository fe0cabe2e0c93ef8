/**
 * Loads the Node-API addon (native/*.cc over oneDNN): the prebuilt binary the package carries for this
 * platform, or the one built from source at install (scripts/build-native.mjs). When neither loads,
 * `loadNative()` says why and what fixes it; nothing here throws at import.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native_types.js';

export type { NativeAddon } from './native_types.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Where the addon is looked for, in order; RESNET_ONEDNN_ADDON names the only file to try (a build of your own). */
export function addonCandidates(): string[] {
  const override = process.env.RESNET_ONEDNN_ADDON;
  if (override) return [path.resolve(override)];
  return [
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'resnet_onednn.node'),
    path.join(packageRoot, 'build', 'Release', 'resnet_onednn.node'),
  ];
}

export interface NativeLoad {
  readonly addon?: NativeAddon;
  /** The file that loaded. */
  readonly file?: string;
  /** Why it did not load, with the command that fixes it. */
  readonly reason?: string;
}

let loaded: NativeLoad | undefined;

function buildReason(): string | undefined {
  try {
    const status = JSON.parse(readFileSync(path.join(packageRoot, 'build', 'native-status.json'), 'utf8')) as { reason?: string };
    return status.reason;
  } catch {
    return undefined;
  }
}

/** The addon, loaded once; `reason` says why not when it cannot load here. */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const errors: string[] = [];
  for (const file of addonCandidates()) {
    if (!existsSync(file)) {
      if (process.env.RESNET_ONEDNN_ADDON) errors.push(`${file}: no such file (RESNET_ONEDNN_ADDON)`);
      continue;
    }
    try {
      const addon = require(file) as NativeAddon;
      loaded = { addon, file };
      return loaded;
    } catch (e) {
      errors.push(`${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  const reason = errors.length
    ? `the oneDNN addon failed to load (${errors.join('; ')}); if libdnnl.so.2 is missing, install it (apt-get install libdnnl-dev), or rebuild with pnpm --filter @resnet/backend-onednn rebuild-native`
    : (buildReason() ??
      'the oneDNN addon is not built: install oneDNN (apt-get install libdnnl-dev, or brew install onednn), then run pnpm --filter @resnet/backend-onednn rebuild-native (or npm rebuild @resnet/backend-onednn)');
  loaded = { reason };
  return loaded;
}
