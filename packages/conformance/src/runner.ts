/**
 * Runs every case on the reference backend and on the backend under test, compares the outputs,
 * and checks that each case returns the tensor count to where it was on the backend under test.
 */
import * as tf from '@tensorflow/tfjs-core';
// The reference backend is always there.
import '@resnet/backend-cpu';
import { useBackend, type BackendStatus } from '@resnet/core';
import { batchNormTrainingCases } from './cases/batch_norm_training.js';
import { foldedCases } from './cases/folded.js';
import { modelCases } from './cases/models.js';
import { opCases } from './cases/ops.js';
import { compareOutput } from './compare.js';
import type { CaseOutputs, CaseResult, ConformanceCase, ConformanceReport, OutputComparison } from './types.js';

export interface ConformanceOptions {
  /** The backend under test: a registered provider's name (`wasm`, `webgpu`, `node-gpu` …) or a tfjs backend name. */
  readonly backend: string;
  /** The reference, `cpu` by default. */
  readonly reference?: string;
  /** Only cases whose name contains this text. */
  readonly filter?: string;
  /** The cases to run (default: every op case, the training-BN cases, every model case, then the folded-BN inference cases). */
  readonly cases?: readonly ConformanceCase[];
  /** Called after each case, e.g. to print progress. */
  readonly onResult?: (result: CaseResult) => void;
}

export function allCases(): ConformanceCase[] {
  return [...opCases(), ...batchNormTrainingCases(), ...modelCases(), ...foldedCases()];
}

/** Runs a case and reads its outputs back (async: webgpu must not be read synchronously), disposing them. */
async function collect(c: ConformanceCase): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const outputs: CaseOutputs = await c.run();
  const read = new Map<string, { shape: number[]; data: Float32Array }>();
  try {
    for (const [name, t] of Object.entries(outputs)) read.set(name, { shape: t.shape, data: Float32Array.from(await t.data()) });
  } finally {
    tf.dispose(Object.values(outputs));
  }
  return read;
}

async function switchTo(name: string): Promise<BackendStatus> {
  const status = await useBackend(name);
  await tf.ready();
  return status;
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const reference = options.reference ?? 'cpu';
  const cases = (options.cases ?? allCases()).filter((c) => !options.filter || c.name.includes(options.filter));
  const status = await switchTo(options.backend);
  const results: CaseResult[] = [];
  for (const c of cases) {
    const started = performance.now();
    let outputs: OutputComparison[] = [];
    let leaked = 0;
    let message: string | undefined;
    let note: string | undefined;
    try {
      await switchTo(reference);
      const expected = await collect(c);
      await switchTo(options.backend);
      const before = tf.memory().numTensors;
      const actual = await collect(c);
      leaked = tf.memory().numTensors - before;
      note = c.note?.();
      outputs = [...expected].map(([name, e]) => {
        const a = actual.get(name);
        if (!a) return { output: name, shape: e.shape, maxAbsError: Infinity, maxRelError: Infinity, mismatches: e.data.length, ok: false };
        if (a.shape.join() !== e.shape.join())
          return { output: name, shape: a.shape, maxAbsError: Infinity, maxRelError: Infinity, mismatches: e.data.length, ok: false };
        return compareOutput(name, e.shape, a.data, e.data, c.tolerance);
      });
      const bad = outputs.filter((o) => !o.ok);
      if (bad.length > 0) {
        const worst = bad.reduce((w, o) => (o.maxRelError > w.maxRelError ? o : w));
        message = `${bad.length} of ${outputs.length} outputs differ; worst "${worst.output}": max abs ${worst.maxAbsError.toExponential(2)}, ${worst.mismatches} elements beyond atol ${c.tolerance.atol} + rtol ${c.tolerance.rtol}·|ref|`;
      } else if (leaked !== 0) {
        message = `${leaked} tensor(s) left behind on ${options.backend}`;
      }
    } catch (e) {
      message = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    const result: CaseResult = {
      name: c.name,
      kind: c.kind,
      status: message ? 'failed' : 'passed',
      tolerance: c.tolerance,
      outputs,
      leakedTensors: leaked,
      milliseconds: performance.now() - started,
      ...(message ? { message } : {}),
      ...(note ? { note } : {}),
    };
    results.push(result);
    options.onResult?.(result);
  }
  await switchTo(options.backend);
  const passed = results.filter((r) => r.status === 'passed').length;
  return {
    backend: options.backend,
    reference,
    ...(status.device ? { device: status.device } : {}),
    results,
    passed,
    failed: results.length - passed,
  };
}
