/**
 * Checkpoints: everything a run needs to continue exactly, in one safetensors file: the model's
 * weights and BN statistics (`model.*`, tfjs layouts), the momentum buffers (`optimizer.*`), the
 * normalisation (`data.mean`: the per-pixel mean, or a mean per channel; `data.std`), and in the metadata (JSON) the spec, the configuration, the
 * iteration, the data-order position, the schedule's state and the metrics so far. A SHA-256 of the
 * tensor bytes in the metadata catches damage that still parses. Writing the bytes atomically is the
 * platform's job (temp file + rename in @resnet/node-io).
 */
import type { ResNetSpec } from '../architectures/spec.js';
import type { LoaderPosition } from '../data/loader.js';
import { ResNetError } from '../errors.js';
import { checkFiniteWeights } from '../weights/finite.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type SafetensorsInput } from '../formats/safetensors.js';
import type { TrainConfig } from './recipes.js';
import type { ScheduleState } from './schedule.js';

export const CHECKPOINT_FORMAT = 'resnet-checkpoint';
export const CHECKPOINT_VERSION = 1;
const META_KEY = 'resnet-checkpoint';
const HASH_KEY = 'sha256';

/** One log interval: the means over its iterations. */
export interface LogRecord {
  readonly type: 'log';
  /** Iterations done. */
  readonly iteration: number;
  /** Epochs done (fractional). */
  readonly epoch: number;
  readonly learningRate: number;
  readonly loss: number;
  /** Training error in [0, 1] over the interval's mini-batches (augmented, BN in training mode, as the paper's curves). */
  readonly trainError: number;
  readonly imagesPerSecond: number;
  /** Seconds of training so far (across resumptions). */
  readonly elapsed: number;
}

/** One evaluation on a held-out set. */
export interface EvalRecord {
  readonly type: 'eval';
  readonly iteration: number;
  readonly split: 'val' | 'test';
  readonly top1Error: number;
  readonly top5Error: number;
  readonly loss: number;
}

export interface TrainingHistory {
  readonly log: LogRecord[];
  readonly eval: EvalRecord[];
}

/** The unfinished log interval, so a resumed run reports the same means as an uninterrupted one. */
export interface PendingInterval {
  readonly lossSum: number;
  readonly errorSum: number;
  readonly count: number;
}

export interface CheckpointMeta {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly spec: ResNetSpec;
  readonly bnMomentum: number;
  readonly bnEpsilon: number;
  readonly numBatchesTracked: number;
  readonly config: TrainConfig;
  /** Iterations done. */
  readonly iteration: number;
  /** The next batch to train on. */
  readonly position: LoaderPosition;
  readonly schedule: ScheduleState;
  readonly history: TrainingHistory;
  readonly pending: PendingInterval;
  /** The training set: name, size and classes, so a resumed run can check it gets the same data. */
  readonly dataset: { readonly name: string; readonly size: number; readonly classNames: readonly string[] };
  readonly elapsed: number;
  readonly savedAt: string;
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  /** Model weights by reference name (tfjs layouts). */
  readonly weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** SGD momentum buffers by parameter name. */
  readonly velocity: Map<string, { shape: number[]; data: Float32Array }>;
  /** The mean the data was normalised with, if any: per pixel (the paper's), or per channel (3 values). */
  readonly mean?: Float32Array;
  /** The per-channel standard deviation it was divided by, if any (pretrained weights' normalisation). */
  readonly std?: Float32Array;
}

async function sha256(parts: readonly Uint8Array[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  const digest = await globalThis.crypto.subtle.digest('SHA-256', all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function inputs(c: Checkpoint): SafetensorsInput[] {
  const out: SafetensorsInput[] = [];
  for (const [name, t] of c.weights) out.push({ name: `model.${name}`, dtype: 'F32', shape: t.shape, data: t.data });
  for (const [name, t] of c.velocity) out.push({ name: `optimizer.${name}`, dtype: 'F32', shape: t.shape, data: t.data });
  if (c.mean) out.push({ name: 'data.mean', dtype: 'F32', shape: [c.mean.length], data: c.mean });
  if (c.std) out.push({ name: 'data.std', dtype: 'F32', shape: [c.std.length], data: c.std });
  return out;
}

export async function serializeCheckpoint(c: Checkpoint): Promise<Uint8Array> {
  const tensors = inputs(c);
  const hash = await sha256(tensors.map((t) => bytesOf(t.data as Float32Array)));
  return serializeSafetensors(tensors, { format: CHECKPOINT_FORMAT, [META_KEY]: JSON.stringify(c.meta), [HASH_KEY]: hash });
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What is wrong with the fields every reader of a checkpoint needs (spec, config, iteration, dataset), or undefined. */
function metaFieldProblem(meta: CheckpointMeta): string | undefined {
  const m = meta as unknown as Record<string, unknown>;
  const checks: [field: string, ok: (v: unknown) => boolean, expected: string][] = [
    ['spec', isRecord, "an object (the network's spec)"],
    ['config', isRecord, 'an object (the training configuration)'],
    ['iteration', (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a whole number ≥ 0'],
    [
      'dataset',
      (v) => isRecord(v) && Array.isArray(v['classNames']) && v['classNames'].every((n) => typeof n === 'string'),
      'an object with the class names ({name, size, classNames})',
    ],
  ];
  for (const [field, ok, expected] of checks) {
    if (m[field] === undefined) return `its metadata has no "${field}"`;
    if (!ok(m[field])) return `its metadata's "${field}" is ${JSON.stringify(m[field])?.slice(0, 80)}, expected ${expected}`;
  }
  return undefined;
}

/** Parses and verifies a checkpoint; `source` names it in errors (a path or URL). */
export async function parseCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Promise<Checkpoint> {
  const damaged = (why: string): ResNetError => new ResNetError(`checkpoint: ${source} is damaged or not a checkpoint: ${why}`);
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    throw damaged(e instanceof Error ? e.message : String(e));
  }
  if (file.metadata['format'] !== CHECKPOINT_FORMAT || !file.metadata[META_KEY]) {
    throw new ResNetError(
      `checkpoint: ${source} is a safetensors file but not a training checkpoint (no "${META_KEY}" metadata); use it as weights instead`,
    );
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(file.metadata[META_KEY]!) as CheckpointMeta;
  } catch (e) {
    throw damaged(`its metadata is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw damaged('its metadata is not a JSON object');
  if (meta.version !== CHECKPOINT_VERSION)
    throw new ResNetError(`checkpoint: ${source} has version ${meta.version}; this library reads version ${CHECKPOINT_VERSION}`);
  const fieldError = metaFieldProblem(meta);
  if (fieldError) throw damaged(fieldError);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  const velocity = new Map<string, { shape: number[]; data: Float32Array }>();
  let mean: Float32Array | undefined;
  let std: Float32Array | undefined;
  const parts: Uint8Array[] = [];
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw damaged(`tensor "${name}" is ${t.dtype}, expected F32`);
    parts.push(t.data);
    const value = { shape: t.shape, data: toFloat32(t) };
    if (name.startsWith('model.')) weights.set(name.slice(6), value);
    else if (name.startsWith('optimizer.')) velocity.set(name.slice(10), value);
    else if (name === 'data.mean') mean = value.data;
    else if (name === 'data.std') std = value.data;
    else throw damaged(`unexpected tensor "${name}"`);
  }
  const hash = await sha256(parts);
  if (hash !== file.metadata[HASH_KEY])
    throw damaged(`its tensors' SHA-256 is ${hash}, the checkpoint recorded ${file.metadata[HASH_KEY] ?? 'none'}`);
  checkFiniteWeights(
    meta.spec.name,
    [...weights].map(([name, t]) => [name, t.data] as const),
  );
  return { meta, weights, velocity, ...(mean ? { mean } : {}), ...(std ? { std } : {}) };
}
