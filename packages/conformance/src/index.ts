/**
 * Cross-backend conformance: a backend must compute what the reference cpu backend computes.
 *
 * Covers every op of a ResNet's forward and backward pass and small networks of every block kind.
 * `runConformance({ backend: 'webgpu' })` in Node or in a browser; `resnet conformance --backend …` in a shell.
 *
 * @packageDocumentation
 */
export { allCases, runConformance, type ConformanceOptions } from './runner.js';
export { formatReport } from './report.js';
export { compareOutput } from './compare.js';
export { opCases } from './cases/ops.js';
export { batchNormTrainingCases } from './cases/batch_norm_training.js';
export { MODEL_CONFIGS, modelCases, type ModelConfig } from './cases/models.js';
export { foldedCases } from './cases/folded.js';
export { normal, normalValues, uniform, uniformValues } from './prng.js';
export type { CaseOutputs, CaseResult, ConformanceCase, ConformanceReport, OutputComparison, Tolerance } from './types.js';
