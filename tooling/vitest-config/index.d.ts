import type { UserConfig } from 'vitest/config';
import type { InlineConfig } from 'vitest/node';

/** Where each package's JSON results go (summed by tooling/scripts/test.mjs). */
export const RESULTS_FILE: string;

/** Shared test settings; `overrides` go into `test`. */
export function resnetVitestConfig(overrides?: InlineConfig): UserConfig;
