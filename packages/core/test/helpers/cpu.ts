// Tests run on the plain-JS cpu backend: the reference every other backend is compared with.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}
