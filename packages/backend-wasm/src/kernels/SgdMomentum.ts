/**
 * @resnet/core's SGD update of one parameter as one kernel (`ResNetSgdMomentum`, training/sgd.ts):
 * d = g + wd·w, v' = m·v + lr·d, w' = w − v', each rounded to float32 in that order, so it equals the
 * five composite ops bit for bit; in C on the wasm heap (csrc/elementwise.c). One kernel instead of
 * five per parameter (~260 fewer per ResNet-20 step). Registered only when the module loaded.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, offsetOf, requireOwnKernels } from '../own_kernels.js';
import { WASM, expectFloat32, expectShape } from './kernel_utils.js';

const NAME = 'ResNetSgdMomentum';

export const sgdMomentum: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as BackendWasm;
  const { exports } = requireOwnKernels(NAME, backend);
  const { variable, velocity, gradient } = inputs as Record<string, TensorInfo | undefined>;
  if (!variable || !velocity || !gradient) throw new Error(`${NAME}: the inputs variable, velocity and gradient are required`);
  for (const [name, t] of Object.entries({ variable, velocity, gradient })) {
    expectFloat32(NAME, name, t);
    expectShape(NAME, name, t.shape, variable.shape);
  }
  const { learningRate, momentum, weightDecay } = (attrs ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries({ learningRate, momentum, weightDecay }))
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`${NAME}: ${name} must be a finite number, got ${String(value)}`);
  const v = backend.makeOutput([...variable.shape], 'float32');
  const w = backend.makeOutput([...variable.shape], 'float32');
  const n = util.sizeFromShape(variable.shape);
  if (n > 0) {
    try {
      checkStatus(
        NAME,
        exports.sgd_momentum(
          offsetOf(backend, variable),
          offsetOf(backend, velocity),
          offsetOf(backend, gradient),
          n,
          // float32 parameters: the scalars are rounded as tf.mul(x, scalar) rounds them.
          learningRate as number,
          momentum as number,
          weightDecay as number,
          offsetOf(backend, v),
          offsetOf(backend, w),
        ),
      );
    } catch (e) {
      backend.disposeData(v.dataId);
      backend.disposeData(w.dataId);
      throw e;
    }
  }
  return [v, w];
};

export const sgdMomentumConfig: KernelConfig = { kernelName: NAME, backendName: WASM, kernelFunc: sgdMomentum };
