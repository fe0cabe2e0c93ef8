/** y = σ(F(x) + shortcut(x)) (Eqn. 1 and 2); plain nets drop the shortcut and keep y = σ(F(x)). */
import type * as tf from '@tensorflow/tfjs-core';
import { addRelu } from './add_relu.js';
import { convBn, type ForwardContext } from './conv_bn.js';
import { shortcut } from './shortcut.js';
import type { BlockPlan } from './types.js';

export function residualBlock(ctx: ForwardContext, block: BlockPlan, x: tf.Tensor4D): tf.Tensor4D {
  const plain = block.shortcut.kind === 'none';
  let out = x;
  block.convs.forEach((plan, i) => {
    // ReLU after every conv+BN of F but the last: the last one comes after the addition (Sec. 3.2).
    // A plain net adds nothing, so its last ReLU follows the BN directly too. Either way convBn
    // applies it, fused with a training-mode BN where the backend has the kernel.
    out = convBn(ctx, plan, out, i < block.convs.length - 1 || plain);
  });
  const identity = shortcut(ctx, block.shortcut, x);
  return identity ? addRelu(out, identity) : out;
}
