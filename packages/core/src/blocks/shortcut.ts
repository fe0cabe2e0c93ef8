/** The shortcut connections of Sec. 3.3: identity (Eqn. 1), option A zero-padding, B/C projections (Eqn. 2). */
import * as tf from '@tensorflow/tfjs-core';
import type { ResNetSpec } from '../architectures/spec.js';
import { ResNetError } from '../errors.js';
import type { ConvBnExecutor } from './conv_bn.js';
import { convPlan, type ShortcutPlan } from './types.js';

export function shortcutPlan(spec: ResNetSpec, block: string, inChannels: number, outChannels: number, stride: number): ShortcutPlan {
  if (spec.shortcut === 'none') return { kind: 'none' };
  const dimensionsChange = stride !== 1 || inChannels !== outChannels;
  if (!dimensionsChange && spec.shortcut !== 'C') return { kind: 'identity' };
  if (spec.shortcut === 'A') {
    const extra = outChannels - inChannels;
    if (extra < 0) throw new ResNetError(`resnet: option A cannot reduce channels (${inChannels} → ${outChannels}) in ${block}`);
    // Extra channels split before and after, as the common CIFAR reproduction pads (planes//4 each side),
    // so its weights load and compute the same.
    const padBefore = Math.floor(extra / 2);
    return { kind: 'zero-pad', name: `${block}.shortcut`, stride, padBefore, padAfter: extra - padBefore };
  }
  // torchvision calls the projection `downsample`; the CIFAR reproduction calls it `shortcut`.
  const module = spec.family === 'imagenet' ? 'downsample' : 'shortcut';
  return { kind: 'projection', conv: convPlan(`${block}.${module}.0`, inChannels, outChannels, 1, stride, `${block}.${module}.1`) };
}

/**
 * Takes every `stride`-th pixel (x[:, ::s, ::s, :]) with reshape + slice, which have gradients on every
 * backend (tf.stridedSlice has none). Odd sides are padded up first; the padding is never selected.
 * Rows, then columns, each as a rank-3 reshape and slice: tfjs-backend-webgpu 4.22 cannot pad
 * tensors of rank ≥ 5, and a slice's gradient is a pad of the same rank.
 */
export function subsample(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [n, h, w, c] = x.shape;
  const hp = Math.ceil(h / stride) * stride;
  const wp = Math.ceil(w / stride) * stride;
  const [ho, wo] = [hp / stride, wp / stride];
  const padded =
    hp === h && wp === w
      ? x
      : tf.pad(x, [
          [0, 0],
          [0, hp - h],
          [0, wp - w],
          [0, 0],
        ]);
  // Every stride-th row: [n·ho, stride, wp·c] → keep index 0 of the middle axis.
  const rows = tf.slice(tf.reshape(padded, [n * ho, stride, wp * c]), [0, 0, 0], [n * ho, 1, wp * c]);
  // Every stride-th column: [n·ho·wo, stride, c] → keep index 0.
  const cols = tf.slice(tf.reshape(rows, [n * ho * wo, stride, c]), [0, 0, 0], [n * ho * wo, 1, c]);
  return tf.reshape(cols, [n, ho, wo, c]);
}

/** Option A's parameter-free shortcut: subsample, then zero-pad the extra channels. */
export function zeroPadShortcut(plan: Extract<ShortcutPlan, { kind: 'zero-pad' }>, x: tf.Tensor4D): tf.Tensor4D {
  return tf.pad(subsample(x, plan.stride), [
    [0, 0],
    [0, 0],
    [0, 0],
    [plan.padBefore, plan.padAfter],
  ]);
}

/** What a block adds to F(x): x itself, option A's zero-padded x, or the projection W_s·x (conv → BN, no ReLU). */
export function shortcut(plan: Exclude<ShortcutPlan, { kind: 'none' }>, x: tf.Tensor4D, convBn: ConvBnExecutor): tf.Tensor4D {
  switch (plan.kind) {
    case 'identity':
      return x;
    case 'zero-pad':
      return zeroPadShortcut(plan, x);
    case 'projection':
      return convBn(plan.conv, x, false);
  }
}
