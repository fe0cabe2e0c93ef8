// @resnet/core's ResNetSgdMomentum (training/sgd.ts): one parameter's update, in the contract's
// float32 order d = g + wd·w, v' = m·v + lr·d, w' = w − v'. Two outputs, so two dispatches (a tfjs
// program writes one): v', then w' from v'.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { SGD_MOMENTUM_KERNEL } from '@resnet/core';
import { ElementwiseProgram, float, run } from './programs.js';

export const sgdMomentumConfig: KernelConfig = {
  kernelName: SGD_MOMENTUM_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { variable, velocity, gradient } = inputs as Record<string, TensorInfo | undefined>;
    const shape = variable?.shape.join();
    if (![variable, velocity, gradient].every((t) => t && t.dtype === 'float32' && t.shape.join() === shape))
      throw new Error(
        `webgpu: ${SGD_MOMENTUM_KERNEL} needs float32 variable, velocity and gradient of one shape, got [${variable?.shape.join(', ')}], [${velocity?.shape.join(', ')}], [${gradient?.shape.join(', ')}]`,
      );
    const { learningRate, momentum, weightDecay } = attrs as unknown as Record<string, number>;
    for (const [k, v] of Object.entries({ learningRate, momentum, weightDecay }))
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`webgpu: ${SGD_MOMENTUM_KERNEL} needs a finite ${k}, got ${String(v)}`);
    const gpu = backend as WebGPUBackend;
    const nextV = run(
      gpu,
      new ElementwiseProgram(
        'resnet_sgd_velocity',
        variable!.shape,
        ['w', 'v', 'g'],
        'let d = g[index] + uniforms.weightDecay * w[index]; setOutputAtIndex(index, uniforms.momentum * v[index] + uniforms.learningRate * d);',
        'learningRate : f32, momentum : f32, weightDecay : f32,',
      ),
      [variable!, velocity!, gradient!],
      [float(learningRate!), float(momentum!), float(weightDecay!)],
    );
    const nextW = run(
      gpu,
      new ElementwiseProgram('resnet_sgd_variable', variable!.shape, ['w', 'v'], 'setOutputAtIndex(index, w[index] - v[index]);'),
      [variable!, nextV],
    );
    return [nextV, nextW];
  },
};
