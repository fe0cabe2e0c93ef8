/**
 * TensorFlow.js's own weights format (model.json + binary shards) through `tf.io` handlers, so any
 * URL scheme a platform registers works: `indexeddb://` and `localstorage://` in browsers, `http(s)://`
 * anywhere, `file://` in Node with @resnet/node-io. model.json carries the spec, so `loadModel` can
 * rebuild the network before filling it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ResNetSpec } from '../architectures/spec.js';
import { ResNetError } from '../errors.js';
import { checkFiniteWeights } from './finite.js';
import { ResNet, type CreateOptions } from '../model/resnet.js';

export const TFJS_WEIGHTS_FORMAT = 'resnet-weights';
const GENERATED_BY = '@resnet/core';

/** What model.json's `userDefinedMetadata.resnet` holds. */
export interface SavedModelInfo {
  readonly spec: ResNetSpec;
  readonly numBatchesTracked: number;
  readonly bnMomentum: number;
  readonly bnEpsilon: number;
}

/** Where weights are saved or loaded: a `tf.io` URL (`indexeddb://…`, `http(s)://…`, `file://…` with @resnet/node-io) or a handler. */
export type WeightsTarget = string | tf.io.IOHandler;

function saveHandler(target: WeightsTarget): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  const handlers = tf.io.getSaveHandlers(target);
  if (handlers.length === 0) {
    throw new ResNetError(`resnet: no tf.io handler can save to "${target}" (in Node, import @resnet/node-io for file://)`);
  }
  return handlers[0]!;
}

function loadHandler(target: WeightsTarget): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  const handlers = tf.io.getLoadHandlers(target);
  if (handlers.length === 0) {
    throw new ResNetError(`resnet: no tf.io handler can load "${target}" (in Node, import @resnet/node-io for file://)`);
  }
  return handlers[0]!;
}

export async function toModelArtifacts(model: ResNet): Promise<tf.io.ModelArtifacts> {
  const named = [...model.layout.keys()].map((name) => ({ name, tensor: model.variables.get(name)! }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const info: SavedModelInfo = {
    spec: model.spec,
    numBatchesTracked: model.numBatchesTracked,
    bnMomentum: model.bnMomentum,
    bnEpsilon: model.bnEpsilon,
  };
  // tf.io types metadata as `{[key: string]: {}}`; our record is plain JSON.
  const userDefinedMetadata = { resnet: info } as unknown as tf.io.ModelArtifacts['userDefinedMetadata'];
  return { format: TFJS_WEIGHTS_FORMAT, generatedBy: GENERATED_BY, weightSpecs: specs, weightData: data, userDefinedMetadata };
}

/**
 * Saves the weights (tfjs layouts, our names) and the spec in TensorFlow.js's format (model.json +
 * binary shards) through a `tf.io` handler; {@link loadModel} rebuilds the network from it.
 *
 * @param target - A `tf.io` URL (`indexeddb://`, `localstorage://`, `http(s)://`; `file://` in Node
 *   with @resnet/node-io) or a handler.
 * @example
 * ```ts
 * await saveWeights(model, 'indexeddb://resnet20');
 * ```
 */
export async function saveWeights(model: ResNet, target: WeightsTarget): Promise<tf.io.SaveResult> {
  const handler = saveHandler(target);
  if (!handler.save) throw new ResNetError(`resnet: the tf.io handler for "${String(target)}" cannot save`);
  return handler.save(await toModelArtifacts(model));
}

async function readArtifacts(target: WeightsTarget): Promise<{ artifacts: tf.io.ModelArtifacts; info: SavedModelInfo }> {
  const handler = loadHandler(target);
  if (!handler.load) throw new ResNetError(`resnet: the tf.io handler for "${String(target)}" cannot load`);
  const artifacts = await handler.load();
  const info = (artifacts.userDefinedMetadata as { resnet?: SavedModelInfo } | undefined)?.resnet;
  if (artifacts.format !== TFJS_WEIGHTS_FORMAT || !info?.spec) {
    throw new ResNetError(
      `resnet: "${String(target)}" is not a ResNet weights file (format ${JSON.stringify(artifacts.format)}, expected "${TFJS_WEIGHTS_FORMAT}")`,
    );
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new ResNetError(`resnet: "${String(target)}" has no weights`);
  return { artifacts, info };
}

/** Loads weights saved by `saveWeights` into `model`; refuses weights of another architecture. */
export async function loadWeights(model: ResNet, target: WeightsTarget): Promise<void> {
  const { artifacts, info } = await readArtifacts(target);
  const mismatch = describeMismatch(info.spec, model.spec);
  if (mismatch)
    throw new ResNetError(`resnet: weights in "${String(target)}" are for ${info.spec.name}, not this ${model.spec.name}: ${mismatch}`);
  const tensors = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    // Read asynchronously: a synchronous read is what a GPU backend must not be asked for (finite.ts).
    const names = Object.keys(tensors);
    const values = await Promise.all(names.map((name) => tensors[name]!.data() as Promise<ArrayLike<number>>));
    checkFiniteWeights(
      model.spec.name,
      names.map((name, i) => [name, values[i]!] as const),
    );
    model.setWeights(tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  model.numBatchesTracked = info.numBatchesTracked;
}

/**
 * Rebuilds the network saved by {@link saveWeights} from its spec and loads its weights.
 *
 * @param target - Where the model was saved: a `tf.io` URL or a handler.
 * @param options - BN settings to override the saved ones.
 * @example
 * ```ts
 * const model = await loadModel('indexeddb://resnet20');
 * ```
 */
export async function loadModel(target: WeightsTarget, options: Pick<CreateOptions, 'bnMomentum' | 'bnEpsilon'> = {}): Promise<ResNet> {
  const { info } = await readArtifacts(target);
  const model = new ResNet(info.spec, {
    bnMomentum: options.bnMomentum ?? info.bnMomentum,
    bnEpsilon: options.bnEpsilon ?? info.bnEpsilon,
  });
  try {
    await loadWeights(model, target);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** The first field in which two specs differ, or null (the name alone may differ: resnet20 = cifar-resnet20). */
export function describeMismatch(saved: ResNetSpec, wanted: ResNetSpec): string | null {
  const fields: Array<keyof ResNetSpec> = ['family', 'block', 'stages', 'stemWidth', 'widths', 'shortcut', 'numClasses', 'inputChannels'];
  for (const f of fields) {
    const [a, b] = [JSON.stringify(saved[f]), JSON.stringify(wanted[f])];
    if (a !== b) return `${f} ${a} ≠ ${b}`;
  }
  return null;
}
