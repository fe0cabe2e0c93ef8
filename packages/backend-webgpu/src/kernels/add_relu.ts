// @resnet/core's residual addition + ReLU (blocks/add_relu.ts, Eqn. 1 and 2, Sec. 3.2) and its
// gradient, one dispatch each. NaN stays NaN through the ReLU, as in tfjs's relu.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { ADD_RELU_KERNEL, RELU_GRAD_KERNEL } from '@resnet/core';
import { ElementwiseProgram, run } from './programs.js';

function checkPair(kernel: string, names: [string, string], p: TensorInfo | undefined, q: TensorInfo | undefined): void {
  if (!p || !q || p.dtype !== 'float32' || q.dtype !== 'float32' || p.shape.join() !== q.shape.join())
    throw new Error(
      `webgpu: ${kernel} needs float32 ${names[0]} and ${names[1]} of one shape, got ${p?.dtype} [${p?.shape.join(', ')}] and ${q?.dtype} [${q?.shape.join(', ')}]`,
    );
}

export const addReluConfig: KernelConfig = {
  kernelName: ADD_RELU_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    checkPair(ADD_RELU_KERNEL, ['a', 'b'], a, b);
    const body = 'let s = a[index] + b[index]; setOutputAtIndex(index, select(s, 0.0, s < 0.0));';
    return run(backend as WebGPUBackend, new ElementwiseProgram('resnet_add_relu', a!.shape, ['a', 'b'], body), [a!, b!]);
  },
};

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, y } = inputs as { dy?: TensorInfo; y?: TensorInfo };
    checkPair(RELU_GRAD_KERNEL, ['dy', 'y'], dy, y);
    const body = 'setOutputAtIndex(index, select(0.0, dy[index], y[index] > 0.0));';
    return run(backend as WebGPUBackend, new ElementwiseProgram('resnet_relu_grad', y!.shape, ['dy', 'y'], body), [dy!, y!]);
  },
};
