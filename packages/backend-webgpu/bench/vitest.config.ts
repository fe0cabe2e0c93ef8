// For bench/*.run.ts: measurements run with vitest (they import the TypeScript test helpers), never
// part of `pnpm test`.
import { resnetVitestConfig } from '@resnet/vitest-config';

export default resnetVitestConfig({ include: ['bench/**/*.run.ts'], reporters: ['default'] });
