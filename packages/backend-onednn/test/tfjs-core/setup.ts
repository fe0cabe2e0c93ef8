// What tfjs's own backends do in their setup_test.ts (tfjs-backend-cpu, -wasm), for `onednn`: register
// the backend, the chained ops and every gradient, and one jasmine test env that runs tfjs-core's
// `describeWithFlags` suites on it. Bundled first by run.mjs, before tfjs-core's *_test.js files.
// Each native kernel is wrapped to count its calls, so the report shows which of them each test file
// really ran (a test file that reached none of them would prove nothing about this backend).
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { setTestEnvs } from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import { loadNative } from '../../src/native.js';
import { nativeKernelNames, registerOneDnn } from '../../src/register.js';

const load = loadNative();
if (!load.addon) throw new Error(`the oneDNN addon is not available: ${load.reason}`);
const threads = Number(process.env.OMP_NUM_THREADS);
load.addon.setThreads(Number.isInteger(threads) && threads >= 1 ? threads : availableParallelism());
registerOneDnn(load.addon);

/** Calls of each native kernel, by kernel name (read and reset by run.mjs around each file's specs). */
export const nativeCalls = new Map<string, number>();
for (const name of nativeKernelNames()) {
  const config = tf.getKernel(name, 'onednn');
  if (config == null) throw new Error(`native kernel ${name} is not registered for onednn`);
  const kernelFunc = config.kernelFunc;
  tf.unregisterKernel(name, 'onednn');
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      nativeCalls.set(name, (nativeCalls.get(name) ?? 0) + 1);
      return kernelFunc(args);
    },
  });
}

// isDataSync as for cpu: the backend's tensors live in JavaScript typed arrays, dataSync works.
setTestEnvs([{ name: 'onednn', backendName: 'onednn', flags: {}, isDataSync: true }]);

(globalThis as { __onednnTfjsCore?: unknown }).__onednnTfjsCore = {
  nativeCalls,
  nativeKernelNames: nativeKernelNames(),
  addon: load.file,
  info: load.addon.info(),
};
