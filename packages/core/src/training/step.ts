/**
 * One training iteration (Sec. 3.4, Sec. 4.2): forward in training mode (BN on batch statistics, running
 * statistics updated), softmax cross-entropy, gradients of every trainable variable, one SGD step.
 * Everything it creates is freed before it returns, so the tensor count is what it was (tested).
 * The loss and the error count are read back together, in one GPU→CPU transfer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '../data/types.js';
import { ResNetError } from '../errors.js';
import type { ResNet } from '../model/resnet.js';
import { variableGrads } from './gradients.js';
import type { SGD } from './sgd.js';

export interface StepResult {
  /** Mean cross-entropy of the batch. */
  readonly loss: number;
  /** Fraction of the batch whose top-1 prediction is wrong (the paper's training error). */
  readonly error: number;
}

/** Raised when the loss stops being a finite number; the weights were not updated with it. */
export class TrainingDivergedError extends ResNetError {
  constructor(
    message: string,
    readonly iteration: number,
    readonly loss: number,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** A batch's float32 NHWC images (every view of every example) as one tensor, its size checked; `where` names the caller in errors. */
export function batchTensor(batch: ImageBatch, where = 'train'): tf.Tensor4D {
  const expected = batch.size * batch.views * batch.height * batch.width * batch.channels;
  if (batch.images.length !== expected) {
    throw new ResNetError(
      `${where}: batch of ${batch.size}×${batch.views} images of ${batch.height}×${batch.width}×${batch.channels} needs ${expected} values, got ${batch.images.length}`,
    );
  }
  return tf.tensor4d(batch.images, [batch.size * batch.views, batch.height, batch.width, batch.channels]);
}

/**
 * One SGD iteration on `batch` at learning rate `learningRate`. A non-finite loss throws
 * TrainingDivergedError before the weights change (the BN running statistics of that forward pass
 * have been updated: they are restored from a checkpoint like everything else).
 */
export async function trainStep(
  model: ResNet,
  optimizer: SGD,
  batch: ImageBatch,
  learningRate: number,
  iteration = 0,
): Promise<StepResult> {
  if (batch.views !== 1) throw new ResNetError(`train: training batches have one view per example, got ${batch.views}`);
  const classes = model.spec.numClasses;
  const params = model.trainableVariables();
  const { grads, summary } = tf.tidy(() => {
    const x = batchTensor(batch);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const onehot = tf.oneHot(labels, classes);
    let logits: tf.Tensor2D | undefined;
    const { value, grads } = variableGrads(() => {
      logits = tf.keep(model.apply(x, { training: true }));
      return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
    }, params);
    const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(logits!, 1), labels), 'float32'));
    logits!.dispose();
    // [loss, wrong]: one read-back for both.
    return { grads, summary: tf.stack([value, wrong]) };
  });
  try {
    const [loss, wrong] = (await summary.data()) as Float32Array;
    if (!Number.isFinite(loss!)) {
      throw new TrainingDivergedError(
        `train: the loss is ${loss} at iteration ${iteration + 1} (learning rate ${learningRate}); training diverged, so the weights were not updated. Try a lower learning rate or a warm-up.`,
        iteration + 1,
        loss!,
      );
    }
    optimizer.learningRate = learningRate;
    optimizer.step(grads);
    return { loss: loss!, error: wrong! / batch.size };
  } finally {
    summary.dispose();
    tf.dispose(grads);
  }
}
