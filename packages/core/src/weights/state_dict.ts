/**
 * PyTorch state dicts ↔ our variables. Names map 1:1 (we use torchvision's and the CIFAR
 * reproduction's); layouts differ: convs are OIHW there and HWIO here, fc weights [out, in] there and
 * [in, out] here. BN's `num_batches_tracked` (an int64 buffer) maps to `model.numBatchesTracked`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError } from '../errors.js';
import { checkFiniteWeights } from './finite.js';
import type { WeightInfo } from '../model/plan.js';
import type { ResNet } from '../model/resnet.js';

/** One tensor of a PyTorch state dict, in PyTorch's layout. */
export interface TorchTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface TorchStateEntry {
  readonly name: string;
  readonly dtype: 'F32' | 'I64';
  readonly shape: number[];
  readonly data: Float32Array | BigInt64Array;
}

/** HWIO → OIHW for convs, [in, out] → [out, in] for fc; null where the layouts agree. */
function toTorchPerm(info: WeightInfo): number[] | null {
  if (info.role === 'conv') return [3, 2, 0, 1];
  if (info.role === 'fc_weight') return [1, 0];
  return null;
}

/** OIHW → HWIO, [out, in] → [in, out]. */
function fromTorchPerm(info: WeightInfo): number[] | null {
  if (info.role === 'conv') return [2, 3, 1, 0];
  if (info.role === 'fc_weight') return [1, 0];
  return null;
}

export function torchShape(info: WeightInfo): number[] {
  const perm = toTorchPerm(info);
  return perm ? perm.map((p) => info.shape[p]!) : [...info.shape];
}

/** The model as a PyTorch state dict: PyTorch's names, order, layouts and `num_batches_tracked` buffers. */
export async function exportStateDict(model: ResNet): Promise<TorchStateEntry[]> {
  const entries: TorchStateEntry[] = [];
  for (const [name, info] of model.layout) {
    const v = model.variables.get(name)!;
    const perm = toTorchPerm(info);
    const t = perm ? tf.transpose(v, perm) : v;
    const data = (await t.data()) as Float32Array;
    if (t !== v) t.dispose();
    entries.push({ name, dtype: 'F32', shape: torchShape(info), data });
    // PyTorch's BatchNorm2d keeps this buffer after running_var.
    if (info.role === 'running_var') {
      const bn = name.slice(0, -'.running_var'.length);
      entries.push({ name: `${bn}.num_batches_tracked`, dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(model.numBatchesTracked)) });
    }
  }
  return entries;
}

/**
 * Loads a PyTorch state dict. A `module.` prefix (from DataParallel) is removed. Refuses, naming the
 * tensor, anything missing, unexpected or mis-shaped (shapes quoted in PyTorch's layout), and changes
 * nothing then.
 */
export interface ImportStateDictOptions {
  /**
   * `keep`: leave the model's own classifier (`fc` / `linear`) as it is and ignore the file's, of
   * whatever shape: ImageNet weights for a backbone with a new head for N classes (transfer
   * learning). Default `load`.
   */
  readonly head?: 'load' | 'keep';
}

export function importStateDict(model: ResNet, stateDict: ReadonlyMap<string, TorchTensor>, options: ImportStateDictOptions = {}): void {
  const headNames =
    options.head === 'keep' ? new Set([`${model.plan.head.name}.weight`, `${model.plan.head.name}.bias`]) : new Set<string>();
  const entries = new Map<string, TorchTensor>();
  for (const [key, t] of stateDict) {
    const name = key.startsWith('module.') ? key.slice('module.'.length) : key;
    if (!headNames.has(name)) entries.set(name, t);
  }
  let batches: number | null = null;
  for (const [name, t] of entries) {
    if (name.endsWith('.num_batches_tracked')) {
      batches ??= t.data[0] ?? 0;
      continue;
    }
    if (!model.layout.has(name)) throw new ResNetError(`resnet: weights do not fit ${model.spec.name}: unexpected tensor "${name}"`);
  }
  for (const [name, info] of model.layout) {
    if (headNames.has(name)) continue;
    const t = entries.get(name);
    const expected = torchShape(info);
    if (!t)
      throw new ResNetError(`resnet: weights do not fit ${model.spec.name}: missing "${name}" (PyTorch shape [${expected.join(', ')}])`);
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new ResNetError(
        `resnet: weights do not fit ${model.spec.name}: "${name}" has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}] (PyTorch layout)`,
      );
    }
  }
  checkFiniteWeights(
    model.spec.name,
    [...model.layout.keys()].filter((name) => !headNames.has(name)).map((name) => [name, entries.get(name)!.data] as const),
  );
  // A plain record, not a Map: tf.tidy keeps only the tensors it can see in what is returned.
  const tensors = tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, info] of model.layout) {
      if (headNames.has(name)) continue;
      const t = entries.get(name)!;
      const perm = fromTorchPerm(info);
      const raw = tf.tensor(t.data, [...t.shape], 'float32');
      out[name] = perm ? tf.transpose(raw, perm) : raw;
    }
    return out;
  });
  // The kept head: its own variables (setWeights skips a variable assigned to itself).
  const own = Object.fromEntries([...headNames].map((name) => [name, model.variables.get(name)!]));
  try {
    model.setWeights({ ...tensors, ...own });
  } finally {
    tf.dispose(Object.values(tensors));
  }
  if (batches !== null) model.numBatchesTracked = batches;
}
