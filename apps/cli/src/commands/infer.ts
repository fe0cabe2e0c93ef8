/**
 * `resnet infer`: logits for an NHWC float32 .npy batch, written as .npy: the bridge for comparing
 * with PyTorch (np.save the input there, np.load the logits back).
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ResNet,
  ResNetError,
  createModel,
  describeMismatch,
  foldBatchNorm,
  CHECKPOINT_FORMAT,
  importStateDict,
  isResidual,
  loadModel,
  optionsFromStateDict,
  parseNpy,
  parseSafetensors,
  resolveSpec,
  serializeNpy,
  stateDictFromSafetensors,
  SPEC_METADATA_KEY,
  type ModelOptions,
  type ResNetSpec,
} from '@resnet/core';
import { fileSystem, readBytes, writeBytesAtomic } from '@resnet/node-io';
import { describeBackend, initBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';

export const INFER_HELP = `resnet infer --model <name> --weights <file.safetensors|model.json> --input <x.npy> --output <y.npy>
             [--stride-in 1x1|3x3] [--shortcut A|B|C] [--backend auto|node-gpu|node|webgpu|onednn|wasm|cpu]

Runs inference (BN with running statistics) on an NHWC float32 .npy batch and writes the logits
[N, classes] as float32 .npy.
  --weights    a PyTorch state dict as safetensors (torchvision / CIFAR-reproduction names), or a
               TensorFlow.js model.json saved by @resnet/core; widths, classes and the shortcut
               option are read from the weights
  --stride-in  for bottleneck nets from PyTorch: 3x3 for torchvision's weights (default 1x1, the
               paper's layout; the weights' shapes cannot tell)
  --shortcut   check the weights against this shortcut option
  --backend    where to compute (default auto: the fastest that runs here; see resnet doctor)`;

export interface InferFlags {
  model: string;
  weights: string;
  input: string;
  output: string;
  strideIn?: '1x1' | '3x3';
  shortcut?: 'A' | 'B' | 'C';
  backend: string;
}

async function modelFromSafetensors(flags: InferFlags): Promise<ResNet> {
  const file = parseSafetensors(await readBytes(flags.weights));
  if (file.metadata['format'] === CHECKPOINT_FORMAT)
    throw new ResNetError(
      `resnet: ${flags.weights} is a training checkpoint, not weights: pass the run's weights.safetensors (next to it when the run finished), or use resnet eval/predict --run ${path.dirname(flags.weights)}`,
    );
  const stateDict = stateDictFromSafetensors(file);
  const saved = file.metadata[SPEC_METADATA_KEY];
  let options: ModelOptions;
  if (saved) {
    // Written by @resnet/core: the spec says everything, including the stride's place.
    const spec = (JSON.parse(saved) as { spec: ResNetSpec }).spec;
    if (spec.name !== resolveSpec(flags.model).name)
      throw new ResNetError(`resnet: ${flags.weights} holds ${spec.name} weights, not ${flags.model}: pass --model ${spec.name}`);
    options = { numClasses: spec.numClasses, stemWidth: spec.stemWidth, widths: [...spec.widths], inputChannels: spec.inputChannels };
    if (isResidual(spec)) options.shortcut = spec.shortcut;
    if (spec.block === 'bottleneck') options.strideIn = spec.strideIn;
  } else {
    options = optionsFromStateDict(flags.model, stateDict);
  }
  if (flags.strideIn) options.strideIn = flags.strideIn;
  if (flags.shortcut && options.shortcut && flags.shortcut !== options.shortcut) {
    throw new ResNetError(
      `resnet: --shortcut ${flags.shortcut} given, but the weights in ${flags.weights} are for shortcut option ${options.shortcut}`,
    );
  }
  const model = createModel(flags.model, options);
  try {
    importStateDict(model, stateDict);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

async function modelFromTfjs(flags: InferFlags): Promise<ResNet> {
  const model = await loadModel(fileSystem(flags.weights));
  // The file names its architecture; it must be the one asked for.
  const wanted = resolveSpec(flags.model, {
    numClasses: model.spec.numClasses,
    stemWidth: model.spec.stemWidth,
    widths: [...model.spec.widths],
    inputChannels: model.spec.inputChannels,
    ...(isResidual(model.spec) ? { shortcut: flags.shortcut ?? model.spec.shortcut } : {}),
  });
  const mismatch = describeMismatch(model.spec, wanted);
  if (mismatch) {
    model.dispose();
    throw new ResNetError(`resnet: ${flags.weights} holds ${model.spec.name}, not ${flags.model}: ${mismatch}`);
  }
  return model;
}

/** Files `infer` reads: the input, the weights and, for a model.json, its weight shards. */
async function filesRead(flags: InferFlags): Promise<string[]> {
  const read = [flags.input, flags.weights];
  if (flags.weights.toLowerCase().endsWith('.json')) {
    try {
      const manifest = JSON.parse(new TextDecoder().decode(await readBytes(flags.weights))) as {
        weightsManifest?: { paths?: unknown[] }[];
      };
      for (const group of manifest.weightsManifest ?? [])
        for (const p of group.paths ?? []) if (typeof p === 'string') read.push(path.join(path.dirname(flags.weights), p));
    } catch {
      // an unreadable model.json is reported when it is loaded
    }
  }
  return read;
}

/** The same file, through symbolic links when it exists. */
function samePath(a: string, b: string): boolean {
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
}

/** Refuses an input that would give meaningless logits: integer pixels (not normalised floats) or NaN/Inf. */
function checkInput(file: string, dtype: string, data: Float32Array): void {
  if (/^[<>|=]?[iub]/.test(dtype)) {
    throw new ResNetError(
      `resnet: ${file} holds ${dtype} values (raw pixels?); infer takes float32 images normalised as the model was trained, e.g. np.float32((x / 255 - mean) / std)`,
    );
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0)
    throw new ResNetError(
      `resnet: ${file} holds ${bad} NaN or infinite value${bad > 1 ? 's' : ''} (the first at flat index ${first}); nothing was written`,
    );
}

export async function inferCommand(flags: InferFlags, io: Output): Promise<number> {
  const started = performance.now();
  for (const read of await filesRead(flags)) {
    if (samePath(flags.output, read))
      throw new UsageError(`--output ${flags.output} is a file infer reads (${read}); choose another path, nothing was written`);
  }
  resolveSpec(flags.model); // an unknown network is said before the backends are probed
  const status = await initBackend(flags.backend);
  const array = parseNpy(await readBytes(flags.input));
  if (array.shape.length !== 4) {
    throw new ResNetError(`resnet: ${flags.input} must hold an NHWC batch [N, H, W, C], got shape [${array.shape.join(', ')}]`);
  }
  checkInput(flags.input, array.dtype, array.data);
  const ext = path.extname(flags.weights).toLowerCase();
  if (ext !== '.safetensors' && ext !== '.json') {
    throw new ResNetError(`resnet: --weights must be a .safetensors file or a model.json, got "${flags.weights}"`);
  }
  const model = ext === '.safetensors' ? await modelFromSafetensors(flags) : await modelFromTfjs(flags);
  try {
    const x = tf.tensor4d(array.data, array.shape as [number, number, number, number]);
    // BN folded into the convs: the same logits within float32 rounding, one fused kernel per conv.
    const folded = foldBatchNorm(model);
    const logits = folded.predict(x, { anyInputSize: true });
    folded.dispose();
    const data = (await logits.data()) as Float32Array;
    const overflow = data.findIndex((v) => !Number.isFinite(v));
    if (overflow >= 0) {
      tf.dispose([x, logits]);
      throw new ResNetError(
        `resnet: the logits overflowed (${data[overflow]} at flat index ${overflow}) although the input and weights are finite; is the input normalised as the model was trained? Nothing was written`,
      );
    }
    await writeBytesAtomic(flags.output, serializeNpy(logits.shape, data));
    tf.dispose([x, logits]);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const { note, ...picked } = status;
    io.err(
      `resnet: wrote logits [${logits.shape.join(', ')}] to ${flags.output} (${model.spec.name}, ${describeBackend(picked)}, ${seconds} s)`,
    );
    if (note) io.err(`resnet: note: ${note}`);
  } finally {
    model.dispose();
  }
  return 0;
}
