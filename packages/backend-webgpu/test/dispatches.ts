// Dispatches on the webgpu backend: tfjs records one per recordAndSubmit (as the bench counts them).
import * as tf from '@tensorflow/tfjs-core';

/** Runs `f` on the active (webgpu) backend and counts the dispatches it records. */
export function counting<T>(f: () => T): { result: T; dispatches: number } {
  const backend = tf.backend() as unknown as { recordAndSubmit: (...args: unknown[]) => unknown };
  const original = backend.recordAndSubmit;
  let dispatches = 0;
  backend.recordAndSubmit = (...args) => {
    dispatches++;
    return original.apply(backend, args);
  };
  try {
    return { result: f(), dispatches };
  } finally {
    backend.recordAndSubmit = original;
  }
}
