/**
 * @resnet/core's residual addition with its ReLU and the ReLU's gradient (`ResNetAddRelu`,
 * `ResNetReluGrad`; contract in core's blocks/add_relu.ts), in C on the wasm heap
 * (csrc/elementwise.c): σ(F(x) + x) in one pass and one tensor, where tfjs runs Add then Relu (and
 * keeps the sum for the ReLU's gradient), and dy·[y > 0] in one pass where tfjs runs Step then
 * Multiply. Registered only when the module loaded (own_kernels.ts).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, offsetOf, requireOwnKernels, type OwnKernels } from '../own_kernels.js';
import { WASM, expectFloat32, expectShape } from './kernel_utils.js';

const ADD_RELU = 'ResNetAddRelu';
const RELU_GRAD = 'ResNetReluGrad';

/** y = f(p, q) element-wise for two float32 tensors of one shape, by the C function `run`. */
function sameShape(
  kernel: string,
  names: [string, string],
  run: (own: OwnKernels, p: number, q: number, out: number, n: number) => number,
): KernelFunc {
  return ({ inputs, backend: anyBackend }) => {
    const backend = anyBackend as BackendWasm;
    const own = requireOwnKernels(kernel, backend);
    const p = inputs[names[0]] as TensorInfo | undefined;
    const q = inputs[names[1]] as TensorInfo | undefined;
    if (!p || !q) throw new Error(`${kernel}: the inputs ${names.join(' and ')} are required`);
    expectFloat32(kernel, names[0], p);
    expectFloat32(kernel, names[1], q);
    expectShape(kernel, names[1], q.shape, p.shape);
    const out = backend.makeOutput([...p.shape], 'float32');
    const n = util.sizeFromShape(p.shape);
    if (n > 0) {
      try {
        checkStatus(kernel, run(own, offsetOf(backend, p), offsetOf(backend, q), offsetOf(backend, out), n));
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      }
    }
    return out;
  };
}

export const addReluConfig: KernelConfig = {
  kernelName: ADD_RELU,
  backendName: WASM,
  kernelFunc: sameShape(ADD_RELU, ['a', 'b'], (own, a, b, y, n) => own.exports.add_relu(own.job, a, b, y, n)),
};

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: WASM,
  kernelFunc: sameShape(RELU_GRAD, ['dy', 'y'], (own, dy, y, dx, n) => own.exports.relu_grad(own.job, dy, y, dx, n)),
};
