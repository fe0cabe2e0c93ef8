/**
 * Fast inference: every conv+BN pair of the network becomes one convolution with a bias, run as
 * `tf.fused.conv2d` with its ReLU fused in, and the classifier runs as `tf.fused.matMul` with its
 * bias. In inference mode BN is an affine map per output channel, y = γ·(conv(x, W) − μ)/√(σ²+ε) + β,
 * so with s = γ/√(σ²+ε) it equals conv(x, W·s) + (β − μ·s): one kernel instead of conv, BN and ReLU.
 *
 * The network is the same walk of the plan as the model's (forward.ts `runBackbone`, the blocks'
 * own functions); only the conv+BN executor differs. What cannot be fused stays as it is: the last
 * conv of a residual block is conv→BN, then the shortcut is added, then ReLU (Eqn. 1), and tfjs's
 * fused conv has no residual input, so that conv fuses its bias only and the add and ReLU follow.
 * Projection shortcuts (options B/C) fold like any conv; option A stays parameter-free. Plain nets
 * have no addition, so every conv fuses its ReLU.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvPlan } from '../blocks/types.js';
import { ResNetError } from '../errors.js';
import { runBackbone } from './forward.js';
import { allConvs } from './plan.js';
import { checkModelInput, type ApplyOptions, type ResNet } from './resnet.js';

/** One conv with its BN folded in: W' = W·s, b' = β − μ·s, s = γ/√(σ²+ε) per output channel. */
interface FoldedConv {
  readonly filter: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
}

/**
 * A {@link ResNet}'s inference mode with batch norm folded into the convolutions; made by
 * {@link foldBatchNorm}. Its logits equal `model.predict(x)` within float32 rounding (tested within
 * 1e-4), and it refuses the same inputs with the same errors.
 *
 * The folded weights are tensors of their own, computed from the model's weights once. They follow
 * the model: every `predict` first checks, by tensor identity (no data is read), whether any conv
 * or BN variable of the model has been assigned since the fold (a training step, `setWeights`,
 * importing weights), and if so folds again before running. The fc layer is used as it is, so it is
 * always current. Call {@link FoldedResNet.dispose} to free the folded weights; disposing the model
 * does not free them, and a folded model whose model was disposed refuses to predict.
 */
export class FoldedResNet {
  /** The model whose weights are folded. */
  readonly model: ResNet;
  private convs = new Map<string, FoldedConv>();
  /** The model's conv and BN variables at the last fold, and the data each held then. */
  private sources: { variable: tf.Variable; dataId: object }[] = [];
  private disposed = false;
  private folds = 0;

  constructor(model: ResNet) {
    if (model.isDisposed) throw new ResNetError(`resnet: cannot fold ${model.spec.name}: it was disposed`);
    this.model = model;
    this.fold();
  }

  /**
   * Logits in inference mode (BN with the running statistics), computed with the folded weights.
   * Same contract as {@link ResNet.predict}: nothing but the result is left behind.
   */
  predict(x: tf.Tensor4D, options: Omit<ApplyOptions, 'training' | 'updateStats'> = {}): tf.Tensor2D {
    checkModelInput(this.model, x, options.anyInputSize ?? false);
    this.checkAlive();
    this.refresh();
    return tf.tidy(() => this.forward(x));
  }

  /**
   * Folds again if any conv or BN weight of the model changed since the last fold; returns whether
   * it did. `predict` calls it, so calling it yourself only moves the cost (e.g. out of a timing).
   */
  refresh(): boolean {
    this.checkAlive();
    if (this.model.isDisposed) throw new ResNetError(`resnet: ${this.model.spec.name} was disposed`);
    if (!this.isStale()) return false;
    this.release();
    this.fold();
    return true;
  }

  /** Times the weights were folded (1 after construction; each refold after a weight change adds one). */
  get foldCount(): number {
    return this.folds;
  }

  /** Frees the folded weights (not the model's). The folded model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private isStale(): boolean {
    // tfjs's Variable.assign gives the variable a new dataId, so identity tells whether it changed.
    return this.sources.some((s) => s.variable.isDisposed || (s.variable.dataId as object) !== s.dataId);
  }

  private variable(name: string): tf.Variable {
    const v = this.model.variables.get(name);
    if (!v) throw new ResNetError(`resnet: ${this.model.spec.name} has no weight "${name}"`);
    return v;
  }

  private fold(): void {
    const epsilon = this.model.bnEpsilon;
    const sources: tf.Variable[] = [];
    for (const conv of allConvs(this.model.plan)) {
      const [w, gamma, beta, mean, variance] = [
        `${conv.name}.weight`,
        `${conv.bn}.weight`,
        `${conv.bn}.bias`,
        `${conv.bn}.running_mean`,
        `${conv.bn}.running_var`,
      ].map((n) => this.variable(n)) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      sources.push(w, gamma, beta, mean, variance);
      const folded = tf.tidy(() => {
        // A division by √, not rsqrt: GPUs' inverseSqrt is approximate, and the error would be baked into every weight.
        const scale = tf.div(gamma, tf.sqrt(tf.add(variance, epsilon)));
        // HWIO: the output channel is the last axis, so the [out] scale broadcasts over it.
        return { filter: tf.mul(w, scale) as tf.Tensor4D, bias: tf.sub(beta, tf.mul(mean, scale)) as tf.Tensor1D };
      });
      this.convs.set(conv.name, folded);
    }
    this.sources = sources.map((variable) => ({ variable, dataId: variable.dataId as object }));
    this.folds++;
  }

  private release(): void {
    for (const c of this.convs.values()) tf.dispose([c.filter, c.bias]);
    this.convs.clear();
    this.sources = [];
  }

  private checkAlive(): void {
    if (this.disposed) throw new ResNetError(`resnet: the folded ${this.model.spec.name} was disposed`);
  }

  /** The folded conv+BN executor: one fused conv with the folded bias, and the ReLU when asked. */
  private conv(plan: ConvPlan, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
    const c = this.convs.get(plan.name)!;
    return tf.fused.conv2d({
      x,
      filter: c.filter,
      bias: c.bias,
      strides: plan.stride,
      pad: plan.pad === 0 ? 'valid' : plan.pad,
      activation: relu ? 'relu' : 'linear',
    });
  }

  private forward(x: tf.Tensor4D): tf.Tensor2D {
    const { last } = runBackbone(this.model.plan, x, (plan, input, relu) => this.conv(plan, input, relu));
    const pooled = tf.mean(last, [1, 2]) as tf.Tensor2D;
    const { head } = this.model.plan;
    return tf.fused.matMul({
      a: pooled,
      b: this.variable(`${head.name}.weight`) as tf.Tensor2D,
      bias: this.variable(`${head.name}.bias`),
    }) as tf.Tensor2D;
  }
}

/**
 * The model's inference mode with batch norm folded into the convolutions and the ReLUs fused into
 * them: the fast path for prediction and evaluation (fewer kernels, no BN pass). Logits equal
 * `model.predict(x)` within float32 rounding. The folded weights follow the model's (see
 * {@link FoldedResNet}); call `dispose()` when done to free them.
 *
 * @example
 * ```ts
 * const model = createModel('resnet50', { seed: 1 });
 * const fast = foldBatchNorm(model);
 * const logits = fast.predict(x);        // x: [N, 224, 224, 3]; same logits as model.predict(x)
 * // … a training step later, fast.predict folds the new weights again by itself …
 * fast.dispose();                        // frees the folded weights, not the model's
 * ```
 */
export function foldBatchNorm(model: ResNet): FoldedResNet {
  return new FoldedResNet(model);
}
