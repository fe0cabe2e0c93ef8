/**
 * One picked or dropped image through a network: decoded by the browser (createImageBitmap, in this
 * worker), shorter side resized, centre-cropped to the network's input, scaled to [0, 1] and
 * normalised exactly as its training images were (core's decodeForModel). For the CIFAR nets that is
 * a resize to 32 and the training mean; for the pretrained ImageNet nets, the weights' own
 * preprocessing (torchvision's: resize 256, crop 224, ImageNet mean and std).
 */
import * as tf from '@tensorflow/tfjs-core';
import { browserImageDecoder, decodeForModel } from '@resnet/core';
import type { Prediction } from '../protocol';

export interface Classification {
  readonly top: Prediction[];
  readonly probabilities: number[];
  readonly preview: Uint8ClampedArray;
}

/** A ResNet, or its BN-folded twin (core's foldBatchNorm): logits in inference mode. */
export interface Predictor {
  predict(x: tf.Tensor4D): tf.Tensor2D;
}

export interface InputPreparation {
  /** The network's input side: the centre crop. */
  readonly size: number;
  /** The shorter side before the crop. */
  readonly resize: number;
  /** Per channel (3 values) or per pixel (size·size·3), on pixels in [0, 1]. */
  readonly mean: ArrayLike<number>;
  /** Per channel; none for the CIFAR nets. */
  readonly std?: ArrayLike<number>;
  /**
   * The network's input channels: 3, or 1 for a net trained on the MNIST family, which gets the
   * image's luma minus its per-pixel mean (core's decodeForModel).
   */
  readonly channels?: 1 | 3;
}

const decoder = browserImageDecoder();

export async function classify(
  predictor: Predictor,
  file: File,
  prep: InputPreparation,
  classNames: readonly string[],
): Promise<Classification> {
  const { size, resize, mean, std, channels = 3 } = prep;
  const gray = channels === 1;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const input = await decodeForModel(bytes, decoder, { size, resize, mean, channels, ...(std ? { std } : {}) }, file.name || 'the image');
  const probs = tf.tidy(() => tf.softmax(predictor.predict(tf.tensor4d(input, [1, size, size, channels]))));
  const probabilities = Array.from(await probs.data());
  probs.dispose();
  const top = probabilities
    .map((probability, index) => ({ index, label: classNames[index] ?? `class ${index}`, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 5);
  // The crop the model saw, with the normalisation undone, as RGBA for a canvas.
  const preview = new Uint8ClampedArray(size * size * 4);
  const perPixel = mean.length === input.length;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      // A one-channel net saw the luma: shown in gray.
      const value = gray ? input[p]! + mean[mean.length === 1 ? 0 : p]! : input[i]! * (std ? std[c]! : 1) + mean[perPixel ? i : c]!;
      preview[p * 4 + c] = Math.round(value * 255);
    }
    preview[p * 4 + 3] = 255;
  }
  return { top, probabilities, preview };
}
