/**
 * Counts on the running tfjs WebGPU backend that do not depend on the hardware: kernel dispatches
 * (each `recordAndSubmit` records one dispatchWorkgroups) and GPU→CPU reads (each `getBufferData`
 * maps one staging buffer for reading; `readSync` of data not yet on the CPU is counted too).
 * It wraps the backend instance's own methods, so it counts in Node (Dawn) and browsers alike.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface Counter {
  readonly dispatches: number;
  readonly reads: number;
  reset(): void;
}

interface WebGPUBackendLike {
  recordAndSubmit(...args: unknown[]): unknown;
  getBufferData(...args: unknown[]): Promise<unknown>;
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
}

/** Starts counting on the active backend, which must be tfjs's webgpu. */
export function countWebGPU(): Counter {
  const backend = tf.backend() as unknown as Partial<WebGPUBackendLike>;
  if (tf.getBackend() !== 'webgpu' || typeof backend.recordAndSubmit !== 'function' || typeof backend.getBufferData !== 'function') {
    throw new Error(`bench: WebGPU counts need tfjs's webgpu backend with recordAndSubmit/getBufferData, got "${tf.getBackend()}"`);
  }
  const b = backend as WebGPUBackendLike;
  const counts = { dispatches: 0, reads: 0 };
  const record = b.recordAndSubmit.bind(b);
  const getBufferData = b.getBufferData.bind(b);
  const readSync = b.readSync.bind(b);
  b.recordAndSubmit = (...args) => {
    counts.dispatches++;
    return record(...args);
  };
  b.getBufferData = (...args) => {
    counts.reads++;
    return getBufferData(...args);
  };
  b.readSync = (dataId) => {
    // Only a read that goes to the GPU counts; values already on the CPU are returned as they are.
    if (b.tensorMap.get(dataId)?.values == null) counts.reads++;
    return readSync(dataId);
  };
  return {
    get dispatches() {
      return counts.dispatches;
    },
    get reads() {
      return counts.reads;
    },
    reset() {
      counts.dispatches = 0;
      counts.reads = 0;
    },
  };
}
