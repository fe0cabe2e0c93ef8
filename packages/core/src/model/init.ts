/**
 * Initial values of every weight.
 * Convs: He et al. [13] ("MSRA") normal with std √(2/n); n = k²·out channels (`fan_out`, the
 * backward-pass form of [13], which torchvision uses) or k²·in channels (`fan_in`, the forward form).
 * BN: γ = 1, β = 0, running mean 0, running variance 1. fc: uniform ±1/√in, PyTorch's Linear default.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightInfo } from './plan.js';

export type InitMode = 'fan_out' | 'fan_in';

export interface InitOptions {
  /** Seed for reproducible weights; random when omitted. */
  readonly seed?: number | undefined;
  readonly mode: InitMode;
  /** γ = 0 in each block's last BN, so every block starts as the identity (Goyal et al.); off in the paper. */
  readonly zeroInitLastBN: boolean;
}

export function initialValue(info: WeightInfo, options: InitOptions, seed: number | undefined): tf.Tensor {
  const shape = [...info.shape];
  switch (info.role) {
    case 'conv': {
      const n = options.mode === 'fan_out' ? info.fanOut : info.fanIn;
      return tf.randomNormal(shape, 0, Math.sqrt(2 / n), 'float32', seed);
    }
    case 'bn_weight':
      return options.zeroInitLastBN && info.lastInBlock ? tf.zeros(shape) : tf.ones(shape);
    case 'bn_bias':
    case 'running_mean':
      return tf.zeros(shape);
    case 'running_var':
      return tf.ones(shape);
    case 'fc_weight':
    case 'fc_bias': {
      const bound = 1 / Math.sqrt(info.fanIn);
      return tf.randomUniform(shape, -bound, bound, 'float32', seed);
    }
  }
}

/**
 * One seed per tensor, derived from the model's seed, so tensors differ but the whole is reproducible.
 * Never 0: tfjs's random ops treat a seed of 0 as "no seed" and draw from Math.random.
 */
export function tensorSeed(modelSeed: number | undefined, index: number): number | undefined {
  if (modelSeed === undefined) return undefined;
  const s = (((modelSeed * 1_000_003 + index * 7919) % 2_147_483_647) + 2_147_483_647) % 2_147_483_647;
  return s === 0 ? 2_147_483_646 : s;
}
