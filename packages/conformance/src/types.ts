import type * as tf from '@tensorflow/tfjs-core';

/**
 * How close a backend must come to the reference, elementwise as numpy's allclose:
 * |actual − expected| ≤ atol + rtol·|expected|. Every case says why its numbers are what they are.
 */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
  readonly why: string;
}

/** Named outputs of one run of a case. Tensors are read back and disposed by the runner. */
export type CaseOutputs = Record<string, tf.Tensor>;

export interface ConformanceCase {
  /** e.g. `conv2d 3×3/2 pad 1 [2,7,7,3]→5` */
  readonly name: string;
  readonly kind: 'op' | 'model';
  readonly tolerance: Tolerance;
  /** Runs on the current backend. Must build its inputs deterministically (same on every backend). */
  run(): Promise<CaseOutputs>;
  /**
   * What the case really exercised on the backend under test (asked there after it ran), when that
   * depends on the backend: e.g. whether a fused kernel ran or only the composite ops.
   */
  note?(): string | undefined;
}

export interface OutputComparison {
  readonly output: string;
  readonly shape: readonly number[];
  readonly maxAbsError: number;
  /** max |a − b| / max(max |b|, atol) over the tensor. */
  readonly maxRelError: number;
  /** Elements outside the tolerance. */
  readonly mismatches: number;
  readonly ok: boolean;
}

export interface CaseResult {
  readonly name: string;
  readonly kind: 'op' | 'model';
  readonly status: 'passed' | 'failed';
  readonly tolerance: Tolerance;
  readonly outputs: readonly OutputComparison[];
  /** Tensors alive after the case minus before, on the backend under test (must be 0). */
  readonly leakedTensors: number;
  readonly milliseconds: number;
  /** Why it failed: the worst output, a leak, an exception. */
  readonly message?: string;
  /** The case's note on the backend under test (see ConformanceCase.note). */
  readonly note?: string;
}

export interface ConformanceReport {
  readonly backend: string;
  readonly reference: string;
  /** What the backend reported about itself (device, adapter, versions), when known. */
  readonly device?: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  /** Set when the whole backend could not run here: the reason, and no results. */
  readonly skipped?: string;
}
