/**
 * SGD with momentum in the form of the paper's Caffe solver (Sec. 3.4; docs/paper.md):
 *   v ← m·v + lr·(g + wd·w),   w ← w − v.
 * With a constant learning rate this equals PyTorch's (v ← m·v + g, w ← w − lr·v); they differ
 * when the rate changes, where this form keeps the momentum's scale (the paper's ÷10 steps).
 * No dampening, no Nesterov: the paper uses neither.
 */
import * as tf from '@tensorflow/tfjs-core';
import { numberIn, oneOf } from '../checks.js';
import { ResNetError } from '../errors.js';

/**
 * The update of one parameter as one kernel, which a backend may register (the oneDNN backend does):
 * inputs `{ variable, velocity, gradient }` (float32, one shape), attrs `{ learningRate, momentum,
 * weightDecay }`, outputs `[velocity', variable']` with, in float32 and in this order,
 * d = g + wd·w, v' = m·v + lr·d, w' = w − v'. Without it the same five tfjs ops run. One kernel
 * instead of five per parameter is ~260 fewer kernel launches per ResNet-20 step.
 */
export const SGD_MOMENTUM_KERNEL = 'ResNetSgdMomentum';

/** Which variables weight decay applies to: all trainable ones (the paper's Caffe solver) or convs and fc weights only. */
export type WeightDecayScope = 'all' | 'weights-only';

export interface SgdOptions {
  /** 0.1 in both recipes of the paper. */
  learningRate: number;
  /** 0.9 in the paper. */
  momentum?: number;
  /** 1e-4 in the paper. */
  weightDecay?: number;
  /** Default `all`, as the paper's solver applies its weight_decay to every learned parameter. */
  weightDecayScope?: WeightDecayScope;
}

/** A trainable variable under its reference name (`layer1.0.conv1.weight`). */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
  /**
   * Its learning rate is this times the optimizer's (default 1): transfer learning trains a
   * pretrained backbone slower than its new head (timm's and fastai's discriminative rates).
   */
  readonly learningRateScale?: number;
}

const WEIGHT_DECAY_SCOPES: readonly WeightDecayScope[] = ['all', 'weights-only'];

/** Momentum m of v ← m·v + …: below 1, or the velocity never decays. */
export function checkMomentum(where: string, momentum: unknown): number {
  return numberIn(where, 'momentum', momentum, { min: 0, max: 1, exclusive: 'max' });
}

export function checkWeightDecay(where: string, weightDecay: unknown): number {
  return numberIn(where, 'weightDecay', weightDecay, { min: 0 });
}

export function checkWeightDecayScope(where: string, scope: unknown): WeightDecayScope {
  return oneOf(where, 'weightDecayScope', scope, WEIGHT_DECAY_SCOPES);
}

let nextOptimizerId = 0;

export class SGD {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly weightDecayScope: WeightDecayScope;
  private readonly params: readonly NamedVariable[];
  private readonly velocity = new Map<string, tf.Variable>();
  /** Parameters weight decay applies to (fixed by the scope; decided once, not every step). */
  private readonly decayed = new Set<string>();

  constructor(params: readonly NamedVariable[], options: SgdOptions) {
    const { learningRate, momentum = 0.9, weightDecay = 1e-4, weightDecayScope = 'all' } = options;
    numberIn('sgd', 'learningRate', learningRate, { min: 0 });
    checkMomentum('sgd', momentum);
    checkWeightDecay('sgd', weightDecay);
    checkWeightDecayScope('sgd', weightDecayScope);
    this.params = params;
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.weightDecayScope = weightDecayScope;
    // Engine-wide unique names: several optimizers may train the same model (or several models).
    const prefix = `sgd_${nextOptimizerId++}/`;
    for (const { name, variable, learningRateScale = 1 } of params) {
      numberIn('sgd', `learningRateScale of "${name}"`, learningRateScale, { min: 0 });
      const zeros = tf.zerosLike(variable);
      this.velocity.set(name, tf.variable(zeros, false, `${prefix}${variable.name}`));
      zeros.dispose();
      if (this.decays(name)) this.decayed.add(name);
    }
  }

  /** Whether weight decay applies to a parameter: all of them, or only conv and fc weights (not BN γ/β, not biases). */
  decays(name: string): boolean {
    if (this.weightDecayScope === 'all') return true;
    return name.endsWith('.weight') && !/(^|\.)bn\d*\.weight$|downsample\.1\.weight$|shortcut\.1\.weight$/.test(name);
  }

  /**
   * One update from gradients keyed by the variables' engine names (what `tf.variableGrads` returns).
   * Every parameter must have a gradient; the tensor count is the same before and after.
   */
  step(grads: tf.NamedTensorMap): void {
    const fused = tf.getKernel(SGD_MOMENTUM_KERNEL, tf.getBackend()) != null;
    tf.tidy(() => {
      for (const { name, variable, learningRateScale = 1 } of this.params) {
        const learningRate = this.learningRate * learningRateScale;
        const g = grads[variable.name];
        if (!g) throw new ResNetError(`sgd: no gradient for "${name}" (variable ${variable.name})`);
        const v = this.velocity.get(name)!;
        const weightDecay = this.weightDecay > 0 && this.decayed.has(name) ? this.weightDecay : 0;
        if (fused) {
          const [nextV, nextW] = tf
            .engine()
            .runKernel<
              tf.Tensor[]
            >(SGD_MOMENTUM_KERNEL, { variable, velocity: v, gradient: g }, { learningRate, momentum: this.momentum, weightDecay });
          v.assign(nextV!);
          variable.assign(nextW!);
          continue;
        }
        const decayed = weightDecay > 0 ? tf.add(g, tf.mul(variable, weightDecay)) : g;
        const next = tf.add(tf.mul(v, this.momentum), tf.mul(decayed, learningRate));
        v.assign(next);
        variable.assign(tf.sub(variable, next));
      }
    });
  }

  /** The momentum buffers by parameter name (for checkpoints). */
  get velocities(): ReadonlyMap<string, tf.Variable> {
    return this.velocity;
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/**
 * The model's trainable variables under their reference names, for the optimizer; `scale(name)`
 * gives each its learning-rate scale (default: all 1).
 */
export function trainableParams(variables: ReadonlyMap<string, tf.Variable>, scale?: (name: string) => number): NamedVariable[] {
  return [...variables]
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => ({ name, variable, ...(scale ? { learningRateScale: scale(name) } : {}) }));
}
