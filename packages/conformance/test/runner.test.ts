// The suite itself: it passes where it should (cpu against cpu), and it catches a backend that
// computes a kernel slightly wrong, a case that leaks, and NaNs.
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  allCases,
  batchNormTrainingCases,
  compareOutput,
  formatReport,
  opCases,
  runConformance,
  type ConformanceCase,
} from '../src/index.js';
// core's float64 JavaScript implementation of the fused training-BN kernels (test-only, not published).
import { registerFusedBatchNormCpu } from '../../core/test/helpers/fused_batch_norm_cpu.js';

/** The cpu backend again, under another name, with Conv2D off by 1e-3: the bug the suite exists to catch. */
function registerBrokenCpu(): void {
  tf.registerBackend('cpu-broken', () => new MathBackendCPU(), 1);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    const kernelFunc =
      kernel.kernelName === 'Conv2D'
        ? (args: Parameters<tf.KernelFunc>[0]) => {
            const out = kernel.kernelFunc(args) as tf.TensorInfo;
            const backend = args.backend as MathBackendCPU;
            const values = backend.data.get(out.dataId)!.values as Float32Array;
            values[0]! += 1e-3;
            return out;
          }
        : kernel.kernelFunc;
    tf.registerKernel({ ...kernel, backendName: 'cpu-broken', kernelFunc });
  }
}

/** The cpu backend again, with the fused training-BN kernels: what a backend such as oneDNN offers. */
function registerFusedCpu(): void {
  tf.registerBackend('cpu-fused', () => new MathBackendCPU(), 1);
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'cpu-fused' });
  registerFusedBatchNormCpu('cpu-fused');
}

beforeAll(() => {
  registerBrokenCpu();
  registerFusedCpu();
});

describe('cpu against itself', () => {
  test('every op and model case passes with no tensor left behind', async () => {
    const report = await runConformance({ backend: 'cpu' });
    console.log(formatReport(report));
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(allCases().length);
    for (const r of report.results) {
      expect(r.leakedTensors, r.name).toBe(0);
      for (const o of r.outputs) expect(o.maxAbsError, `${r.name}: ${o.output}`).toBe(0);
    }
    const kinds = new Set(report.results.map((r) => r.name.split(' ')[0]));
    for (const op of ['conv2d', 'batchNorm', 'relu', 'add,', 'maxPool', 'avgPool', 'option-A', 'matMul', 'softmax'])
      expect(kinds).toContain(op);
    const models = report.results.filter((r) => r.kind === 'model');
    expect(models.length).toBeGreaterThanOrEqual(9);
    const big = models.find((r) => r.name.includes('bottleneck, shortcut C'))!;
    expect(big.outputs.some((o) => o.output === 'grad layer1.0.downsample.0.weight')).toBe(true);
    expect(big.outputs.some((o) => o.output === 'layer4.0.conv3.weight after SGD step')).toBe(true);
    expect(big.outputs.some((o) => o.output === 'layer2.0.bn2.running_var after training forward')).toBe(true);
    expect(models.filter((r) => r.outputs.some((o) => o.output === 'logits (BN folded)')).length).toBe(9);
  }, 300_000);
});

describe('catching a wrong backend', () => {
  test('a Conv2D off by 1e-3 fails the conv and model cases and nothing else', async () => {
    const report = await runConformance({ backend: 'cpu-broken' });
    const failed = report.results.filter((r) => r.status === 'failed').map((r) => r.name);
    expect(failed.some((n) => n.startsWith('conv2d'))).toBe(true);
    expect(failed.some((n) => n.includes('resnet8'))).toBe(true);
    expect(failed.every((n) => n.startsWith('conv2d') || n.includes('resnet') || n.includes('plain'))).toBe(true);
    expect(report.results.find((r) => r.name.startsWith('relu'))!.status).toBe('passed');
    const conv = report.results.find((r) => r.name.startsWith('conv2d') && r.status === 'failed')!;
    expect(conv.message).toMatch(/outputs differ; worst "y": max abs 1\.00e-3/);
    expect(formatReport(report)).toMatch(/FAIL\s+op\s+conv2d/);
  }, 300_000);

  test('a case that leaves a tensor behind fails', async () => {
    let leak: tf.Tensor | undefined;
    const leaky: ConformanceCase = {
      name: 'leaky',
      kind: 'op',
      tolerance: { rtol: 0, atol: 0, why: 'test' },
      run: async () => {
        leak = tf.ones([2]);
        return { y: tf.ones([3]) };
      },
    };
    const report = await runConformance({ backend: 'cpu', cases: [leaky] });
    expect(report.results[0]).toMatchObject({ status: 'failed', leakedTensors: 1, message: '1 tensor(s) left behind on cpu' });
    leak?.dispose();
  });

  test('a case that throws fails with its message; filter selects cases', async () => {
    const throwing: ConformanceCase = {
      name: 'boom',
      kind: 'op',
      tolerance: { rtol: 0, atol: 0, why: 'test' },
      run: async () => {
        throw new Error('kernel missing');
      },
    };
    const report = await runConformance({ backend: 'cpu', cases: [throwing] });
    expect(report.results[0]).toMatchObject({ status: 'failed', message: 'threw: kernel missing' });
    const only = await runConformance({ backend: 'cpu', filter: 'maxPool', cases: opCases() });
    expect(only.results.map((r) => r.name)).toEqual(['maxPool 3×3/2 pad 1 [2,7,7,3] (+dx)', 'maxPool 3×3/2 pad 1 [1,8,8,2] (+dx)']);
  });
});

describe('training-mode BN, fused and composite', () => {
  test("a backend with the fused kernels passes against cpu's composite, and the notes say which path ran", async () => {
    const fused = await runConformance({ backend: 'cpu-fused', cases: batchNormTrainingCases() });
    console.log(formatReport(fused));
    expect(fused.failed).toBe(0);
    const same = fused.results.filter((r) => r.name.includes('fused − composite'));
    const reference = fused.results.filter((r) => !r.name.includes('fused − composite'));
    expect(same.length).toBeGreaterThanOrEqual(3);
    expect(reference.length).toBeGreaterThanOrEqual(10);
    for (const r of reference) expect(r.note, r.name).toBe('fused kernel');
    for (const r of same) expect(r.note, r.name).toBeUndefined();
    // Two implementations really were compared: not every difference is 0.
    expect(same.some((r) => r.outputs.some((o) => o.maxAbsError > 0))).toBe(true);

    const composite = await runConformance({ backend: 'cpu', cases: batchNormTrainingCases() });
    expect(composite.failed).toBe(0);
    for (const r of composite.results) {
      if (r.name.includes('fused − composite')) expect(r.note, r.name).toMatch(/^composite only: no fused kernel/);
      else expect(r.note, r.name).toBeUndefined();
    }
    expect(formatReport(composite)).toMatch(/notes:\n {2}batchNormTraining/);
  }, 120_000);
});

describe('comparison', () => {
  const tol = { rtol: 1e-3, atol: 1e-4, why: 'test' };
  test('allclose rule, and NaN is never close', () => {
    expect(compareOutput('y', [2], Float32Array.of(1.001, 0), Float32Array.of(1, 0), tol).ok).toBe(true); // 1e-3 ≤ 1e-4 + 1e-3
    expect(compareOutput('y', [2], Float32Array.of(1.002, 0), Float32Array.of(1, 0), tol)).toMatchObject({ ok: false, mismatches: 1 });
    expect(compareOutput('y', [2], Float32Array.of(0, 0.0002), Float32Array.of(0, 0), tol)).toMatchObject({ ok: false, mismatches: 1 });
    expect(compareOutput('y', [1], Float32Array.of(NaN), Float32Array.of(NaN), tol)).toMatchObject({ ok: false, maxAbsError: Infinity });
    expect(compareOutput('y', [1], Float32Array.of(1, 2), Float32Array.of(1), tol).ok).toBe(false);
  });
});
