import { resnetVitestConfig } from '@resnet/vitest-config';

// The set-up packs eight packages and runs `npm install` into a new project: minutes on a cold npm cache.
export default resnetVitestConfig({ hookTimeout: 900_000, testTimeout: 300_000 });
