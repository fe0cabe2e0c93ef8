/**
 * A ResNet (or plain net) with its weights as tfjs variables, named as in the reference implementations.
 * The math is the pure `forward` over those variables; this class adds input checks, memory hygiene
 * (nothing a call creates outlives it but its result) and the BN running-statistics update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MODEL_OPTION_NAMES, checkSpec, resolveSpec, type ModelOptions } from '../architectures/registry.js';
import type { ResNetSpec } from '../architectures/spec.js';
import { BN_EPSILON, BN_MOMENTUM, updatedRunningStats } from '../blocks/batch_norm.js';
import { numberIn, oneOf } from '../checks.js';
import { ResNetError } from '../errors.js';
import { FREEZE_NONE, frozenParts, type FrozenParts } from './freeze.js';
import { backbone, forward } from './forward.js';
import { initialValue, tensorSeed, type InitMode } from './init.js';
import { planNetwork, planWeights, type NetworkPlan, type WeightInfo } from './plan.js';
import { summarize, type ModelSummary } from './summary.js';

export interface CreateOptions extends ModelOptions {
  /** Seed for reproducible initial weights (random when omitted). */
  seed?: number;
  /** He initialisation's n: k²·out (`fan_out`, default, as torchvision) or k²·in (`fan_in`). */
  init?: InitMode;
  /** Start each block's last BN with γ = 0 (not in the paper; helps very large batches). Default false. */
  zeroInitLastBN?: boolean;
  /** BN running-statistics momentum, PyTorch's convention: running ← (1−m)·running + m·batch. Default 0.1. */
  bnMomentum?: number;
  /** BN epsilon. Default 1e-5 (PyTorch's, so imported weights behave the same). */
  bnEpsilon?: number;
}

/** How {@link ResNet.apply} runs the network (`predict` and `features` take the parts that apply to them). */
export interface ApplyOptions {
  /** Training mode: batch statistics, and (unless `updateStats: false`) running statistics updated. */
  training?: boolean;
  /** In training mode, whether to update the BN running statistics. Default true. */
  updateStats?: boolean;
  /** Accept any H×W (fully-convolutional use, e.g. multi-scale testing), not only the built input size. */
  anyInputSize?: boolean;
}

/** The paper's stage names: `conv1`, `conv2_x` … (`conv5_x` on ImageNet nets, `conv4_x` on CIFAR nets). */
export type StageFeatures = Record<string, tf.Tensor4D>;

const CREATE_OPTIONS = ['seed', 'init', 'zeroInitLastBN', 'bnMomentum', 'bnEpsilon'] as const;

let nextModelId = 0;

/**
 * A network of the paper (a ResNet or its plain twin) with its weights as tfjs variables, named as
 * torchvision names them (ImageNet nets) or as the common CIFAR reproduction does (CIFAR nets).
 * Usually made by name with {@link createModel}; `new ResNet(spec, options)` builds one from a
 * {@link ResNetSpec}. Inputs are float32 NHWC. Call {@link ResNet.dispose} to free the variables.
 *
 * @example
 * ```ts
 * const model = createModel('resnet20', { seed: 1 });
 * const logits = model.predict(x);                   // x: [N, 32, 32, 3]; BN with running statistics
 * const train = model.apply(x, { training: true });  // batch statistics; running statistics updated
 * model.dispose();
 * ```
 */
export class ResNet {
  readonly spec: ResNetSpec;
  readonly plan: NetworkPlan;
  /** Name → shape, role, trainability of every weight (tfjs layouts). */
  readonly layout: ReadonlyMap<string, WeightInfo>;
  readonly bnMomentum: number;
  readonly bnEpsilon: number;
  /**
   * Training-mode forward passes that updated the BN statistics (PyTorch's `num_batches_tracked`),
   * one count for the whole model: with some stages frozen it is that of the BNs that train.
   */
  numBatchesTracked = 0;
  private readonly vars = new Map<string, tf.Variable>();
  private disposed = false;
  private frozenPart: FrozenParts = { upTo: FREEZE_NONE, weights: new Set(), bns: new Set() };

  constructor(spec: ResNetSpec, options: Omit<CreateOptions, keyof ModelOptions> = {}) {
    const momentum = options.bnMomentum ?? BN_MOMENTUM;
    numberIn('resnet', 'bnMomentum', momentum, { min: 0, max: 1, exclusive: 'min' });
    const epsilon = options.bnEpsilon ?? BN_EPSILON;
    numberIn('resnet', 'bnEpsilon', epsilon, { min: 0, exclusive: 'min' });
    const init = options.init ?? 'fan_out';
    oneOf('resnet', 'init', init, ['fan_out', 'fan_in']);
    this.spec = checkSpec(spec);
    this.plan = planNetwork(spec);
    this.layout = planWeights(this.plan);
    this.bnMomentum = momentum;
    this.bnEpsilon = epsilon;
    // tfjs variable names are global to the engine: prefix them so several models can coexist.
    const prefix = `${spec.name}_${nextModelId++}/`;
    const initOptions = { seed: options.seed, mode: init, zeroInitLastBN: options.zeroInitLastBN ?? false };
    let index = 0;
    for (const [name, info] of this.layout) {
      const value = initialValue(info, initOptions, tensorSeed(options.seed, index++));
      this.vars.set(name, tf.variable(value, info.trainable, prefix + name));
      value.dispose();
    }
  }

  /** Every weight by its reference name (`layer1.0.conv1.weight`, `fc.bias`, …), tfjs layouts. */
  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  /** What SGD updates: convs, BN γ/β, fc (not the running statistics, nor anything frozen). */
  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /**
   * Freezes the stages up to `upTo` (inclusive) for transfer learning: `conv1` (the stem),
   * `conv2_x` … (the paper's stage names, Table 1), `backbone` (every stage: only the head trains),
   * or `none` (undo). Frozen convs and BN γ/β are no longer trainable, and frozen BNs run in
   * inference mode even in training passes, so their running statistics stay as they are
   * (model/freeze.ts). The head is never frozen.
   *
   * @example
   * ```ts
   * model.freeze('conv4_x');   // conv1 … conv4_x frozen; conv5_x and fc train
   * ```
   */
  freeze(upTo: string): void {
    this.checkAlive();
    const parts = frozenParts(this.plan, upTo, this.spec.name);
    for (const [name, info] of this.layout) this.vars.get(name)!.trainable = info.trainable && !parts.weights.has(name);
    this.frozenPart = parts;
  }

  /** The stage the model is frozen up to (`none` when nothing is). */
  get frozen(): string {
    return this.frozenPart.upTo;
  }

  /** Logits in inference mode (BN with running statistics). */
  predict(x: tf.Tensor4D, options: Omit<ApplyOptions, 'training' | 'updateStats'> = {}): tf.Tensor2D {
    return this.apply(x, { ...options, training: false });
  }

  /**
   * Logits. In training mode BN normalizes with batch statistics and, unless `updateStats` is false,
   * updates the running statistics. Differentiable: call it inside `tf.variableGrads`.
   */
  apply(x: tf.Tensor4D, options: ApplyOptions = {}): tf.Tensor2D {
    const training = options.training ?? false;
    this.checkInput(x, options.anyInputSize ?? false);
    return tf.tidy(() => {
      const result = forward(this.plan, (n) => this.weight(n), x, { training, bnEpsilon: this.bnEpsilon, frozenBn: this.frozenPart.bns });
      if (training && (options.updateStats ?? true)) this.updateRunningStats(result.batchStats);
      return result.logits;
    });
  }

  /** Each stage's output (a detection or transfer-learning backbone), without pooling or fc. */
  features(x: tf.Tensor4D, options: Omit<ApplyOptions, 'updateStats'> = {}): StageFeatures {
    this.checkInput(x, options.anyInputSize ?? false);
    return tf.tidy(
      () =>
        backbone(this.plan, (n) => this.weight(n), x, {
          training: options.training ?? false,
          bnEpsilon: this.bnEpsilon,
          frozenBn: this.frozenPart.bns,
        }).features,
    );
  }

  summary(inputSize = this.spec.inputSize): ModelSummary {
    return summarize(this.spec, this.plan, inputSize);
  }

  /**
   * Replaces every weight (tfjs layouts). Throws, changing nothing, unless the names and shapes are
   * exactly this model's; the message names the first missing, unexpected or mis-shaped tensor.
   * The values are not read back (that would stall a GPU backend): the readers of weights files
   * refuse NaN and ±Inf before they get here (`checkFiniteWeights`).
   */
  setWeights(weights: ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>): void {
    this.checkAlive();
    const map = weights instanceof Map ? weights : new Map(Object.entries(weights));
    for (const [name, info] of this.layout) {
      const t = map.get(name);
      if (!t) throw new ResNetError(`resnet: weights do not fit ${this.spec.name}: missing "${name}" (shape [${info.shape.join(', ')}])`);
      if (!sameShape(t.shape, info.shape)) {
        throw new ResNetError(
          `resnet: weights do not fit ${this.spec.name}: "${name}" has shape [${t.shape.join(', ')}], expected [${info.shape.join(', ')}]`,
        );
      }
    }
    for (const name of map.keys()) {
      if (!this.layout.has(name)) throw new ResNetError(`resnet: weights do not fit ${this.spec.name}: unexpected tensor "${name}"`);
    }
    for (const [name, t] of map) {
      const v = this.vars.get(name)!;
      if (t === v) continue; // assigning a variable to itself would make its next read recurse
      v.assign(t.dtype === 'float32' ? t : tf.tidy(() => tf.cast(t, 'float32')));
    }
  }

  /** Frees every variable. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private weight(name: string): tf.Tensor {
    const v = this.vars.get(name);
    if (!v) throw new ResNetError(`resnet: ${this.spec.name} has no weight "${name}"`);
    return v;
  }

  private updateRunningStats(stats: ReadonlyMap<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }>): void {
    for (const [bn, s] of stats) {
      const mean = this.vars.get(`${bn}.running_mean`)!;
      const variance = this.vars.get(`${bn}.running_var`)!;
      const next = updatedRunningStats(mean, variance, s, this.bnMomentum);
      mean.assign(next.mean);
      variance.assign(next.variance);
    }
    // A frozen backbone updates no BN, and counts no batch (PyTorch's BN in eval mode leaves num_batches_tracked alone).
    if (stats.size > 0) this.numBatchesTracked++;
  }

  private checkAlive(): void {
    if (this.disposed) throw new ResNetError(`resnet: ${this.spec.name} was disposed`);
  }

  private checkInput(x: tf.Tensor, anySize: boolean): void {
    checkModelInput(this, x, anySize);
  }
}

/**
 * Throws a {@link ResNetError} naming the bad value unless `model` is alive and `x` is a float32 NHWC
 * batch it accepts. Shared with the folded inference path, so both refuse the same inputs alike.
 */
export function checkModelInput(model: ResNet, x: tf.Tensor, anySize: boolean): void {
  const { inputSize: s, inputChannels: c, name } = model.spec;
  if (model.isDisposed) throw new ResNetError(`resnet: ${name} was disposed`);
  const expected = anySize ? `[N, H, W, ${c}]` : `[N, ${s}, ${s}, ${c}]`;
  const bad = (why: string): ResNetError =>
    new ResNetError(`resnet: input must be ${expected} for ${name}, got [${x.shape.join(', ')}]${why}`);
  if (x.rank !== 4) throw bad(` (rank ${x.rank}, expected 4: NHWC)`);
  const [n, h, w, channels] = x.shape as [number, number, number, number];
  if (n < 1) throw bad(' (empty batch)');
  if (channels !== c) throw bad(` (${channels} channels, expected ${c})`);
  if (!anySize && (h !== s || w !== s)) throw bad(' (pass anyInputSize: true for fully-convolutional use)');
  if (h < 1 || w < 1) throw bad('');
  if (x.dtype !== 'float32') throw new ResNetError(`resnet: input must be float32, got ${x.dtype}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A model from the registry, freshly initialised (He et al.'s initialisation):
 * `createModel('resnet20')`, `createModel('resnet50', { numClasses: 10, seed: 1 })`.
 *
 * @param name - A registry name ({@link MODEL_NAMES}): `resnet18` … `resnet152`, `resnet20` … `resnet1202`,
 *   their `plain…` twins, or any CIFAR depth 6n+2 (`resnet8`, `cifar-resnet50`).
 * @param options - The architecture (`numClasses`, `shortcut`, `strideIn`, `inputSize`, widths) and the
 *   initialisation (`seed`, `init`, `zeroInitLastBN`) and BN settings. Unknown options, and options
 *   that do not apply to this net (`shortcut` on a plain net), are refused.
 * @example
 * ```ts
 * const model = createModel('resnet20', { seed: 1 });
 * console.log(formatSummary(model.summary()));   // 269,722 parameters
 * ```
 */
export function createModel(name: string, options: CreateOptions = {}): ResNet {
  const modelOptions: ModelOptions = {};
  const createOptions: Omit<CreateOptions, keyof ModelOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((CREATE_OPTIONS as readonly string[]).includes(key)) (createOptions as Record<string, unknown>)[key] = value;
    else if ((MODEL_OPTION_NAMES as readonly string[]).includes(key)) (modelOptions as Record<string, unknown>)[key] = value;
    else
      throw new ResNetError(
        `resnet: unknown option "${key}" for model "${name}"; options are ${[...MODEL_OPTION_NAMES, ...CREATE_OPTIONS].join(', ')}`,
      );
  }
  return new ResNet(resolveSpec(name, modelOptions), createOptions);
}
