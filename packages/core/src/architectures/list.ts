import { depthOf, isResidual, type Family } from './spec.js';
import { MODEL_NAMES, resolveSpec } from './registry.js';
import { summarize } from '../model/summary.js';

export interface ModelInfo {
  readonly name: string;
  readonly family: Family;
  readonly depth: number;
  readonly residual: boolean;
  readonly params: number;
  /** Multiply-adds of one forward pass at the default input size. */
  readonly macs: number;
  readonly inputSize: number;
}

/** The registry with each model's depth, parameters and multiply-adds at its defaults. */
export function listModels(): ModelInfo[] {
  return MODEL_NAMES.map((name) => {
    const spec = resolveSpec(name);
    const s = summarize(spec);
    return {
      name,
      family: spec.family,
      depth: depthOf(spec),
      residual: isResidual(spec),
      params: s.params,
      macs: s.macs,
      inputSize: spec.inputSize,
    };
  });
}
