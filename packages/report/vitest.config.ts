import { resnetVitestConfig } from '@resnet/vitest-config';

export default resnetVitestConfig();
