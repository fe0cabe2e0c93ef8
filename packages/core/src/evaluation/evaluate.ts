/**
 * Evaluation of a model on a data set: softmax scores for every example, averaged over the views a
 * data set gives (10-crop, Sec. 3.4 of the paper; docs/paper.md) and, with several data sets of the same examples, over scales
 * (multi-scale testing), then the metrics. BN runs in inference mode, folded into the convolutions
 * (`foldBatchNorm`): the same logits within float32 rounding, ~1.5× faster on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader } from '../data/loader.js';
import type { Dataset } from '../data/types.js';
import { ResNetError } from '../errors.js';
import { foldBatchNorm } from '../model/fold_bn.js';
import type { ResNet } from '../model/resnet.js';
import { batchTensor } from '../training/step.js';
import { classificationMetrics, type ClassificationMetrics } from './metrics.js';

export interface EvaluateOptions {
  /** Examples per forward pass. Default 100. */
  readonly batchSize?: number;
  /** Called after each batch with the examples done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface Scores {
  /** [size, classes] softmax probabilities averaged over views, row = example index. */
  readonly probabilities: Float32Array;
  readonly labels: Int32Array;
  readonly classes: number;
}

/** Softmax probabilities of every example of `dataset`, averaged over its views. */
export async function predictScores(model: ResNet, dataset: Dataset, options: EvaluateOptions = {}): Promise<Scores> {
  const classes = model.spec.numClasses;
  if (dataset.classNames.length !== classes) {
    throw new ResNetError(
      `evaluate: ${dataset.name} has ${dataset.classNames.length} classes but ${model.spec.name} has ${classes} outputs`,
    );
  }
  const probabilities = new Float32Array(dataset.size * classes);
  const labels = new Int32Array(dataset.size);
  let done = 0;
  // Fully-convolutional input when the data set's images are not the model's built size (multi-scale testing).
  const [h, w] = dataset.imageShape;
  const anyInputSize = h !== model.spec.inputSize || w !== model.spec.inputSize;
  // Folded once for the whole pass (it refolds by itself should the weights change meanwhile).
  const folded = foldBatchNorm(model);
  try {
    for await (const batch of DataLoader.evaluation(dataset, options.batchSize ?? 100)) {
      const probs = tf.tidy(() => {
        const x = batchTensor(batch, 'evaluate');
        const p = tf.softmax(
          folded.predict(x, {
            anyInputSize: anyInputSize || batch.height !== model.spec.inputSize || batch.width !== model.spec.inputSize,
          }),
        );
        return batch.views === 1 ? p : tf.mean(tf.reshape(p, [batch.size, batch.views, classes]), 1);
      });
      const values = (await probs.data()) as Float32Array;
      probs.dispose();
      for (let k = 0; k < batch.size; k++) {
        const i = batch.indices[k]!;
        probabilities.set(values.subarray(k * classes, (k + 1) * classes), i * classes);
        labels[i] = batch.labels[k]!;
      }
      done += batch.size;
      options.onProgress?.(done, dataset.size);
    }
  } finally {
    folded.dispose();
  }
  return { probabilities, labels, classes };
}

/**
 * Top-1/top-5 error, loss, per-class accuracy and confusion of `model` on `dataset`, with BN in
 * inference mode; a data set that gives several views of each example (10-crop) has their softmax
 * scores averaged.
 *
 * @example
 * ```ts
 * const metrics = await evaluate(model, test, { batchSize: 100 });
 * console.log(`top-1 error ${(100 * metrics.top1Error).toFixed(2)}%`);
 * ```
 */
export async function evaluate(model: ResNet, dataset: Dataset, options: EvaluateOptions = {}): Promise<ClassificationMetrics> {
  const s = await predictScores(model, dataset, options);
  return classificationMetrics(s.probabilities, s.labels, s.classes);
}

/**
 * Multi-scale testing (Sec. 3.4): the same examples at several scales, one data set per scale; the
 * softmax scores are averaged over the scales (and over each scale's views).
 */
export async function evaluateMultiScale(
  model: ResNet,
  datasets: readonly Dataset[],
  options: EvaluateOptions = {},
): Promise<ClassificationMetrics> {
  if (datasets.length === 0) throw new ResNetError('evaluate: multi-scale testing needs at least one data set');
  const size = datasets[0]!.size;
  for (const d of datasets)
    if (d.size !== size)
      throw new ResNetError(
        `evaluate: multi-scale data sets must hold the same examples; ${d.name} has ${d.size}, ${datasets[0]!.name} has ${size}`,
      );
  let sum: Float32Array | undefined;
  let labels: Int32Array | undefined;
  for (const d of datasets) {
    const s = await predictScores(model, d, options);
    if (labels && !s.labels.every((l, i) => l === labels![i]))
      throw new ResNetError(`evaluate: ${d.name} labels its examples differently from ${datasets[0]!.name}`);
    labels = s.labels;
    if (!sum) sum = s.probabilities.slice();
    else for (let i = 0; i < sum.length; i++) sum[i]! += s.probabilities[i]!;
  }
  for (let i = 0; i < sum!.length; i++) sum![i]! /= datasets.length;
  return classificationMetrics(sum!, labels!, model.spec.numClasses);
}
