// core's variableGrads: the numbers of tf.variableGrads (same tape, same order), with memory freed as
// the backward pass goes, so that its peak is well below tfjs's; and nothing left behind.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createModel, variableGrads } from '../../src/index.js';
import { useCpu } from '../helpers/cpu.js';
import { registerFusedBatchNormCpu } from '../helpers/fused_batch_norm_cpu.js';

beforeAll(useCpu);

function loss(name: string) {
  const model = createModel(name, { seed: 2, stemWidth: 4, widths: [4, 8, 16] });
  const x = tf.tensor4d(
    Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => Math.sin(i)),
    [4, 32, 32, 3],
  );
  const labels = tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), 10);
  const f = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar;
  return { model, f, dispose: () => (tf.dispose([x, labels]), model.dispose()) };
}

describe('variableGrads', () => {
  test.each(['resnet8', 'plain8'])(
    '%s: the same loss and gradients as tf.variableGrads, bit for bit, never at a higher peak',
    async (name) => {
      // With the fused BN kernels, as the oneDNN backend runs a network (its own test measures how
      // much lower the peak is there, where the backward pass dominates it).
      const unregister = registerFusedBatchNormCpu('cpu', 'both');
      const { model, f, dispose } = loss(name);
      const vars = model.trainableVariables();
      const before = tf.memory().numTensors;
      let ours: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      let theirs: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      const oursProfile = await tf.profile(() => void (ours = variableGrads(f, vars)));
      const theirsProfile = await tf.profile(() => void (theirs = tf.variableGrads(f, vars)));
      expect(Object.keys(ours!.grads).sort()).toEqual(Object.keys(theirs!.grads).sort());
      expect(await ours!.value.data()).toEqual(await theirs!.value.data());
      for (const [k, g] of Object.entries(theirs!.grads)) expect(await ours!.grads[k]!.data(), k).toEqual(await g!.data());
      // Never above tfjs's peak (here both are the forward pass's: the cpu backend's composite
      // residual addition makes many intermediates there).
      expect(oursProfile.peakBytes).toBeLessThanOrEqual(theirsProfile.peakBytes);
      tf.dispose([ours!.value, theirs!.value, ...Object.values(ours!.grads), ...Object.values(theirs!.grads)] as tf.Tensor[]);
      expect(tf.memory().numTensors).toBe(before);
      dispose();
      unregister();
    },
  );

  test('refuses a non-scalar loss and a list without trainable variables', () => {
    const v = tf.variable(tf.ones([2]), true, 'grad_test_v');
    const frozen = tf.variable(tf.ones([2]), false, 'grad_test_frozen');
    expect(() => variableGrads(() => tf.mul(v, 2) as unknown as tf.Scalar, [v])).toThrow(/the loss must be a scalar, got shape \[2\]/);
    expect(() => variableGrads(() => tf.sum(frozen), [frozen])).toThrow(/none of the variables is trainable/);
    tf.dispose([v, frozen]);
  });
});
