/** Which cases `resnet bench` runs: the standard set, or the one the flags name. */
import type { BenchMode } from './types.js';

export interface CaseKey {
  readonly model: string;
  readonly mode: BenchMode;
  readonly batch: number;
}

/**
 * Issue #6's standard cases: ResNet-20 and ResNet-56 training at batch 128 (32×32), ResNet-50
 * inference at batch 1 and 8 (224×224), each inference case also BN-folded.
 */
export const STANDARD_CASES: readonly CaseKey[] = [
  { model: 'resnet20', mode: 'train', batch: 128 },
  { model: 'resnet56', mode: 'train', batch: 128 },
  { model: 'resnet50', mode: 'infer', batch: 1 },
  { model: 'resnet50', mode: 'infer-folded', batch: 1 },
  { model: 'resnet50', mode: 'infer', batch: 8 },
  { model: 'resnet50', mode: 'infer-folded', batch: 8 },
];

/** Backends in the order the table lists them: the native and fast CPU ones first, the reference last. */
export const BENCH_BACKENDS = ['onednn', 'wasm', 'webgpu', 'cpu', 'node', 'node-gpu'] as const;

export function caseName(c: CaseKey): string {
  return `${c.model} ${c.mode} b${c.batch}`;
}
