/**
 * One picked or dropped image through the model: decoded by the browser (createImageBitmap, in this
 * worker), shorter side resized to the model's 32 pixels, centre-cropped to 32×32, scaled to [0, 1]
 * and the training mean subtracted, exactly as the test images were prepared (core's decodeForModel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { browserImageDecoder, decodeForModel, type ResNet } from '@resnet/core';
import type { Prediction } from '../protocol';

export interface Classification {
  readonly top: Prediction[];
  readonly probabilities: number[];
  readonly preview: Uint8ClampedArray;
}

const decoder = browserImageDecoder();

export async function classify(model: ResNet, file: File, mean: ArrayLike<number>, classNames: readonly string[]): Promise<Classification> {
  const size = model.spec.inputSize;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const input = await decodeForModel(bytes, decoder, { size, resize: size, mean }, file.name || 'the image');
  const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [1, size, size, 3]))));
  const probabilities = Array.from(await probs.data());
  probs.dispose();
  const top = probabilities
    .map((probability, i) => ({ label: classNames[i] ?? `class ${i}`, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 5);
  // The crop the model saw, with the mean added back, as RGBA for a canvas.
  const preview = new Uint8ClampedArray(size * size * 4);
  const perPixel = mean.length === input.length;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      preview[p * 4 + c] = Math.round((input[i]! + mean[perPixel ? i : c]!) * 255);
    }
    preview[p * 4 + 3] = 255;
  }
  return { top, probabilities, preview };
}
