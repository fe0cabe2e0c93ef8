/**
 * Small but complete networks of every block kind and shortcut option: forward logits in both BN
 * modes, the running statistics after a training forward, the loss, the gradient of every
 * variable, and every variable after one SGD-with-momentum step (lr 0.1, momentum 0.9, wd 1e-4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainableParams, type CreateOptions } from '@resnet/core';
import { normal, uniformValues, normalValues } from '../prng.js';
import type { CaseOutputs, ConformanceCase, Tolerance } from '../types.js';

/**
 * A dozen layers of float32 convs, BN in training mode (whose backward subtracts nearly equal
 * terms on tiny batches) and a softmax: errors of ~1e-6 per op grow to ~1e-4 on the largest
 * gradients (|g| up to ~10), so 1e-3 relative plus 1e-4 absolute.
 */
const MODEL: Tolerance = {
  rtol: 1e-3,
  atol: 1e-4,
  why: 'a dozen float32 layers incl. training-mode BN backward on tiny batches: per-op ~1e-6 errors grow to ~1e-4 on |g| ≈ 10',
};

/** One small network of the suite: a registry name, its (tiny) options and the batch size it runs with. */
export interface ModelConfig {
  readonly label: string;
  readonly model: string;
  readonly options: CreateOptions;
  readonly batch: number;
}

const CIFAR_TINY = { widths: [4, 8, 8], stemWidth: 4, inputSize: 8 };
const IMAGENET_TINY = { stemWidth: 4, inputSize: 32, numClasses: 5 };

export const MODEL_CONFIGS: readonly ModelConfig[] = [
  { label: 'CIFAR basic, shortcut A', model: 'resnet8', options: { ...CIFAR_TINY }, batch: 4 },
  { label: 'CIFAR basic, shortcut B', model: 'resnet8', options: { ...CIFAR_TINY, shortcut: 'B' }, batch: 4 },
  { label: 'CIFAR basic, shortcut C', model: 'resnet8', options: { ...CIFAR_TINY, shortcut: 'C' }, batch: 4 },
  { label: 'CIFAR plain', model: 'plain8', options: { ...CIFAR_TINY }, batch: 4 },
  { label: 'ImageNet basic, shortcut B', model: 'resnet18', options: { ...IMAGENET_TINY, widths: [4, 4, 8, 8] }, batch: 2 },
  {
    label: 'ImageNet bottleneck, shortcut B, stride in 1×1',
    model: 'resnet50',
    options: { ...IMAGENET_TINY, widths: [2, 2, 4, 4] },
    batch: 2,
  },
  {
    label: 'ImageNet bottleneck, shortcut C, stride in 3×3',
    model: 'resnet50',
    options: { ...IMAGENET_TINY, widths: [2, 2, 4, 4], shortcut: 'C', strideIn: '3x3' },
    batch: 2,
  },
  {
    label: 'ImageNet bottleneck, shortcut A',
    model: 'resnet50',
    options: { ...IMAGENET_TINY, widths: [2, 2, 4, 4], shortcut: 'A' },
    batch: 2,
  },
  { label: 'ImageNet plain bottleneck', model: 'plain50', options: { ...IMAGENET_TINY, widths: [2, 2, 4, 4] }, batch: 2 },
];

function modelCase(config: ModelConfig, seed: number): ConformanceCase {
  return {
    name: `${config.model} ${config.label}: logits (eval, train), running stats, grads, SGD step`,
    kind: 'model',
    tolerance: MODEL,
    run: async () => {
      const model = createModel(config.model, { ...config.options, seed });
      const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
      try {
        // Running statistics away from 0/1, so inference mode really differs from training mode.
        let k = 0;
        tf.tidy(() => {
          for (const [name, v] of model.variables) {
            const n = v.size;
            if (name.endsWith('running_mean')) v.assign(tf.tensor(normalValues(n, seed + 1000 + k++, 0.1), v.shape));
            if (name.endsWith('running_var')) v.assign(tf.tensor(uniformValues(n, seed + 1000 + k++, 0.5, 1.5), v.shape));
          }
        });
        const { inputSize, inputChannels, numClasses } = model.spec;
        return tf.tidy(() => {
          const x = normal([config.batch, inputSize, inputSize, inputChannels], seed + 1) as tf.Tensor4D;
          const labels = tf.oneHot(
            tf.tensor1d(
              Array.from({ length: config.batch }, (_, i) => (i * 3) % numClasses),
              'int32',
            ),
            numClasses,
          );
          const outputs: CaseOutputs = { 'logits (inference)': model.predict(x) };
          let trainLogits: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const logits = model.apply(x, { training: true });
            trainLogits = tf.keep(tf.clone(logits));
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          });
          outputs['logits (training)'] = trainLogits!;
          outputs['loss'] = value;
          for (const [name, v] of model.variables) {
            if (name.startsWith('running') || name.includes('.running_')) outputs[`${name} after training forward`] = tf.clone(v);
            else outputs[`grad ${name}`] = grads[v.name]!;
          }
          sgd.step(grads);
          for (const [name, v] of model.variables) if (v.trainable) outputs[`${name} after SGD step`] = tf.clone(v);
          return outputs;
        });
      } finally {
        sgd.dispose();
        model.dispose();
      }
    },
  };
}

export function modelCases(): ConformanceCase[] {
  return MODEL_CONFIGS.map((c, i) => modelCase(c, 9000 + 17 * i));
}
