/**
 * The tfjs backend the CLI computes on. For now the plain-JS cpu backend, the reference; backend
 * packages (wasm, WebGPU, Node CUDA) and `--backend` selection plug in here.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export async function initBackend(): Promise<string> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}
