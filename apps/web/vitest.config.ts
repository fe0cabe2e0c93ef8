import { resnetVitestConfig } from '@resnet/vitest-config';

// One browser session at a time: the page trains on both cores (SwiftShader WebGPU, wasm threads).
export default resnetVitestConfig({ testTimeout: 240_000, hookTimeout: 240_000, fileParallelism: false });
