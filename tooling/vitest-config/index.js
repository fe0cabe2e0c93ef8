// Shared test settings. Model tests run real tfjs kernels on 2 cores, so time-outs are generous;
// speed targets live in benchmarks, not in timed tests.
import { defineConfig } from 'vitest/config';

/** Each package's results, summed by tooling/scripts/test.mjs into one closing line. */
export const RESULTS_FILE = '.test-results/vitest.json';

export function resnetVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Forks isolate each file's tfjs engine.
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: RESULTS_FILE }]],
      ...overrides,
    },
  });
}
