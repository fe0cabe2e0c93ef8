/**
 * The fast inference path (`foldBatchNorm`: BN folded into the convs, run as `tf.fused.conv2d` with
 * fused ReLU and bias, the classifier as `tf.fused.matMul`) on the same small networks as the model
 * cases: its logits on the backend under test against the cpu backend's. These exercise the fused
 * kernels (FusedConv2D, _FusedMatMul), which no other case reaches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel, foldBatchNorm } from '@resnet/core';
import { normal, normalValues, uniformValues } from '../prng.js';
import type { ConformanceCase, Tolerance } from '../types.js';
import { MODEL_CONFIGS, type ModelConfig } from './models.js';

/**
 * A forward pass only (no BN batch statistics, no gradients): a dozen float32 convs whose folded
 * weights each backend computes itself (rsqrt, products). Measured against cpu: ≤ 3e-6 relative on
 * wasm and WebGPU (SwiftShader), the logits of the tiny ImageNet nets reaching ~100, so 1e-4
 * relative leaves ~30× headroom; 1e-5 absolute covers logits near 0.
 */
const FOLDED: Tolerance = {
  rtol: 1e-4,
  atol: 1e-5,
  why: 'inference forward only: a dozen float32 fused convs, folded weights computed on each backend; measured ≤ 3e-6 relative',
};

function foldedCase(config: ModelConfig, seed: number): ConformanceCase {
  return {
    name: `${config.model} ${config.label}: logits with BN folded into the convs (fused inference)`,
    kind: 'model',
    tolerance: FOLDED,
    run: async () => {
      const model = createModel(config.model, { ...config.options, seed });
      try {
        // γ, β and the running statistics away from 1/0/0/1, so the fold really changes the weights.
        let k = 0;
        tf.tidy(() => {
          for (const [name, v] of model.variables) {
            const n = v.size;
            const bn = v.rank === 1 && !name.startsWith(`${model.plan.head.name}.`);
            if (name.endsWith('running_mean')) v.assign(tf.tensor(normalValues(n, seed + 2000 + k++, 0.1), v.shape));
            else if (name.endsWith('running_var')) v.assign(tf.tensor(uniformValues(n, seed + 2000 + k++, 0.5, 1.5), v.shape));
            else if (bn && name.endsWith('.weight')) v.assign(tf.tensor(uniformValues(n, seed + 2000 + k++, 0.5, 1.5), v.shape));
            else if (bn && name.endsWith('.bias')) v.assign(tf.tensor(normalValues(n, seed + 2000 + k++, 0.1), v.shape));
          }
        });
        const { inputSize, inputChannels } = model.spec;
        const folded = foldBatchNorm(model);
        try {
          const x = normal([config.batch, inputSize, inputSize, inputChannels], seed + 1) as tf.Tensor4D;
          const logits = folded.predict(x);
          x.dispose();
          return { 'logits (BN folded)': logits };
        } finally {
          folded.dispose();
        }
      } finally {
        model.dispose();
      }
    },
  };
}

/** One case per network of {@link MODEL_CONFIGS}: its logits with BN folded into the convs. */
export function foldedCases(): ConformanceCase[] {
  return MODEL_CONFIGS.map((c, i) => foldedCase(c, 9500 + 17 * i));
}
