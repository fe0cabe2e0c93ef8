/**
 * Layer responses (Sec. 4.2, Fig. 7): "the outputs of each 3×3 layer, after BN and before other
 * nonlinearity (ReLU/addition)", measured as one standard deviation per layer on held-out data with
 * BN in inference mode. The forward pass reports every conv's BN output through its `onConvBn`
 * observer; this module keeps the 3×3 ones and reduces each to a mean and a variance on the device,
 * so only two numbers per layer and batch leave it.
 *
 * Which std: the population std of ALL the layer's output values over the evaluated examples
 * (batch × positions × channels pooled), not a per-channel std averaged over channels. The paper
 * plots one number per layer, the std of "the responses", and a per-channel std after BN in inference
 * mode would mostly just read back |γ|; the pooled one also counts how far apart the channels sit
 * (β, and the mean shift of held-out data), i.e. how large the signal the layer adds is, which is
 * what Fig. 7 compares between plain nets and ResNets. Divide-by-N: with thousands of values per
 * layer, N−1 would make no visible difference. Each batch's mean and variance come from the backend
 * (two-pass `tf.moments`, in its own precision: float32 on GPUs); batches are combined in float64
 * with the pairwise (Chan et al.) update of count, mean and sum of squared deviations, so a long run
 * of batches loses nothing to float32 and a large mean does not cancel the variance away, as
 * E[x²]−E[x]² would.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvPlan } from '../blocks/types.js';
import { positiveInteger } from '../checks.js';
import type { Dataset } from '../data/types.js';
import { ResNetError } from '../errors.js';
import { backbone } from '../model/forward.js';
import { allConvs } from '../model/plan.js';
import type { ResNet } from '../model/resnet.js';
import { batchTensor } from '../training/step.js';
import { networkIdentity, type NetworkKind } from './labels.js';

/** The paper's "3×3 layers": stem conv1 of the CIFAR nets and every 3×3 conv of the residual functions. */
const RESPONSE_KERNEL = 3;

export interface LayerResponse {
  /** Position in network order, from 1 (Fig. 7's "layer index (original)"). */
  readonly index: number;
  /** The conv, e.g. `layer1.0.conv1`. */
  readonly conv: string;
  /** The BN whose output this is, e.g. `layer1.0.bn1`: the response's name. */
  readonly name: string;
  /** Population std of every output value (batch, positions, channels) over the evaluated examples. */
  readonly std: number;
  /** Mean of the same values. */
  readonly mean: number;
  /** Values the statistics are over (examples × views × H × W × channels). */
  readonly count: number;
}

export interface LayerResponses {
  /** The model's registry name (`plain20`, `resnet56`). */
  readonly model: string;
  /** As the paper labels it: "plain-20", "ResNet-56". */
  readonly label: string;
  readonly kind: NetworkKind;
  readonly depth: number;
  /** Examples evaluated. */
  readonly examples: number;
  /** Every 3×3 layer, in network order. */
  readonly layers: readonly LayerResponse[];
}

export interface LayerResponseOptions {
  /** Examples per forward pass. Default 100. */
  readonly batchSize?: number;
  /** Measure on the first this-many examples of the data set (stored order). Default: all of them. */
  readonly maxExamples?: number;
  /** Called after each batch with the examples done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The convs whose BN outputs are the layer responses, in network order (the stem of ImageNet nets is 7×7: not one). */
export function responseLayers(model: ResNet): ConvPlan[] {
  return allConvs(model.plan).filter((c) => c.kernel === RESPONSE_KERNEL);
}

function weightOf(model: ResNet): (name: string) => tf.Tensor {
  return (name) => {
    const v = model.variables.get(name);
    if (!v) throw new ResNetError(`responses: ${model.spec.name} has no weight "${name}"`);
    return v;
  };
}

function checkInput(model: ResNet, shape: readonly number[], what: string): void {
  if (model.isDisposed) throw new ResNetError(`responses: ${model.spec.name} was disposed`);
  const c = model.spec.inputChannels;
  if (shape.length !== 4 || shape[3] !== c || !(shape[0]! >= 1)) {
    throw new ResNetError(`responses: ${what} must be [N, H, W, ${c}] images for ${model.spec.name}, got [${shape.join(', ')}]`);
  }
}

/**
 * Runs the backbone in inference mode and calls `visit` with each 3×3 layer's BN output inside one
 * tidy: whatever `visit` returns (tensors) is kept, everything else the pass made is freed.
 */
function observe<T extends tf.TensorContainer>(model: ResNet, x: tf.Tensor4D, visit: (plan: ConvPlan, y: tf.Tensor4D) => T): T[] {
  return tf.tidy(() => {
    const kept: T[] = [];
    backbone(model.plan, weightOf(model), x, {
      training: false,
      bnEpsilon: model.bnEpsilon,
      onConvBn: (plan, y) => {
        if (plan.kernel === RESPONSE_KERNEL) kept.push(visit(plan, y));
      },
    });
    return kept;
  });
}

/**
 * The raw responses for one batch: each 3×3 layer's BN output (BN in inference mode) by BN name, in
 * network order. The caller owns (and disposes) the tensors. For inspection; `layerResponses` reduces
 * them without keeping them.
 */
export function responseTensors(model: ResNet, x: tf.Tensor4D): Map<string, tf.Tensor4D> {
  checkInput(model, x.shape, 'the input');
  const names: string[] = [];
  const tensors = observe(model, x, (plan, y) => {
    names.push(plan.bn);
    return y;
  });
  return new Map(names.map((name, i) => [name, tensors[i]!]));
}

/** Running (count, mean, M2) of one layer, combined batch by batch in float64. */
interface Moments {
  count: number;
  mean: number;
  m2: number;
}

/** Chan et al.'s pairwise update: adds a batch of `n` values with mean `mean` and biased variance `variance`. */
function combine(acc: Moments, n: number, mean: number, variance: number): void {
  const total = acc.count + n;
  const delta = mean - acc.mean;
  acc.mean += (delta * n) / total;
  acc.m2 += variance * n + (delta * delta * acc.count * n) / total;
  acc.count = total;
}

/**
 * The std of every 3×3 layer's response (Fig. 7) of `model` on `dataset` (the test set, normalised as
 * in training), BN in inference mode, in network order. Frees every tensor it makes.
 */
export async function layerResponses(model: ResNet, dataset: Dataset, options: LayerResponseOptions = {}): Promise<LayerResponses> {
  const batchSize = options.batchSize ?? 100;
  positiveInteger('responses', 'batchSize', batchSize);
  const max = positiveInteger('responses', 'maxExamples', options.maxExamples ?? dataset.size);
  const total = Math.min(max, dataset.size);
  if (total < 1) throw new ResNetError(`responses: ${dataset.name} has no examples`);
  checkInput(model, [1, ...dataset.imageShape], `${dataset.name}'s images`);
  const plans = responseLayers(model);
  const acc: Moments[] = plans.map(() => ({ count: 0, mean: 0, m2: 0 }));
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(start + batchSize, total);
    const batch = await dataset.batch(Int32Array.from({ length: end - start }, (_, i) => start + i));
    // Values per layer: its own N×H×W×C (stride-2 layers have fewer), read off the tensors' shapes.
    const sizes: number[] = [];
    const names: string[] = [];
    // [layers, 2]: each layer's mean and biased variance over the whole batch, one download per batch.
    const moments = tf.tidy(() => {
      const x = batchTensor(batch, 'responses');
      const rows = observe(model, x, (plan, y) => {
        names.push(plan.bn);
        sizes.push(y.size);
        const { mean, variance } = tf.moments(y);
        return tf.stack([mean, variance]);
      });
      return tf.stack(rows);
    });
    const values = await moments.data();
    moments.dispose();
    if (names.join() !== plans.map((p) => p.bn).join()) {
      throw new ResNetError(`responses: the forward pass of ${model.spec.name} reported the 3×3 layers ${names.join(', ')}; its plan has ${plans.map((p) => p.bn).join(', ')}`);
    }
    plans.forEach((_plan, i) => combine(acc[i]!, sizes[i]!, values[2 * i]!, values[2 * i + 1]!));
    options.onProgress?.(end, total);
  }
  const layers = plans.map((plan, i): LayerResponse => ({
    index: i + 1,
    conv: plan.name,
    name: plan.bn,
    std: Math.sqrt(Math.max(0, acc[i]!.m2 / acc[i]!.count)),
    mean: acc[i]!.mean,
    count: acc[i]!.count,
  }));
  return { model: model.spec.name, ...networkIdentity(model.spec), examples: total, layers };
}

/** Fig. 7 (bottom): the layers from the largest std to the smallest (equal ones in network order). */
export function sortedResponses(layers: readonly LayerResponse[]): LayerResponse[] {
  return [...layers].sort((a, b) => b.std - a.std || a.index - b.index);
}

/** One network's line in the layer-response figure (`responseChart`, @resnet/report). */
export interface ResponseNetwork {
  /** "plain-20", "ResNet-56", … */
  readonly name: string;
  /** Std of each 3×3 layer's response, in layer order; null/NaN for a layer not measured (a gap). */
  readonly std: readonly (number | null)[];
  /** Plain nets are drawn dashed, ResNets solid; default solid. */
  readonly kind?: 'plain' | 'residual';
}

/** The mean of the layers' stds: one number to compare networks by (the CLI prints it). */
export function meanResponse(responses: LayerResponses): number {
  const { layers } = responses;
  if (layers.length === 0) throw new ResNetError(`responses: ${responses.model} has no 3×3 layers`);
  return layers.reduce((sum, l) => sum + l.std, 0) / layers.length;
}

/** One network's line for `responseChart`: its label, kind (plain nets dashed) and stds in network order. */
export function responseNetwork(responses: LayerResponses, name = responses.label): ResponseNetwork {
  return { name, kind: responses.kind, std: responses.layers.map((l) => l.std) };
}
