/**
 * Pretrained ImageNet weights from a file the user picked, as @resnet/node-io's loadPretrained reads
 * them in Node: a `.pth`/`.pt` (torch.save, parsed by core without running any pickle code) or a
 * `.safetensors` state dict, in PyTorch's layout. A file named like a catalogue entry
 * (`resnet50-11ad3fa6.pth`) gets that entry's network, layout and preprocessing. Any other file is
 * identified from its tensors' names (core's modelNameFromStateDict) and gets torchvision's V1
 * preprocessing and, for the bottleneck nets, torchvision's layout (stride in the 3×3), since the
 * tensors have the same shapes in either layout and torchvision is where such files come from.
 */
import {
  IMAGENET_CLASSES,
  PRETRAINED,
  ResNetError,
  createModel,
  foldBatchNorm,
  importStateDict,
  modelNameFromStateDict,
  networkIdentity,
  optionsFromStateDict,
  parseSafetensors,
  pretrainedOptions,
  resolveSpec,
  stateDictFromPth,
  stateDictFromSafetensors,
  type FoldedResNet,
  type ModelOptions,
  type Preprocessing,
  type PretrainedWeights,
  type ResNet,
  type TorchTensor,
} from '@resnet/core';
import type { PretrainedInfo } from '../protocol';

/** torchvision's V1 evaluation transform (resize 256, crop 224, ImageNet mean and std), for files the catalogue does not name. */
const IMAGENET_V1 = PRETRAINED.find((w) => w.name === 'resnet50.imagenet1k_v1')!.preprocessing;

export interface Pretrained {
  readonly model: ResNet;
  /** The same network with BN folded into the convs: what classifies (fewer kernels, same outputs within rounding). */
  readonly folded: FoldedResNet;
  /** The file's tensors (PyTorch layout), kept to load the backbone under a new head for fine-tuning. */
  readonly state: Map<string, TorchTensor>;
  readonly name: string;
  /** What createModel got: the catalogue entry's, or read from the tensors' shapes (+ the assumed layout). */
  readonly options: ModelOptions;
  readonly preprocessing: Preprocessing;
  readonly classNames: readonly string[];
  readonly info: PretrainedInfo;
}

const WEIGHT_FILE = /\.(pth|pt|safetensors)$/i;

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function readState(bytes: Uint8Array, file: string): Map<string, TorchTensor> {
  if (!file.toLowerCase().endsWith('.safetensors')) return stateDictFromPth(bytes, file);
  try {
    return stateDictFromSafetensors(parseSafetensors(bytes));
  } catch (e) {
    // core's safetensors messages do not know the file's name.
    throw new ResNetError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function describePreprocessing(p: Preprocessing): string {
  return `shorter side resized to ${p.resize} (${p.interpolation}), centre crop ${p.crop}×${p.crop}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`;
}

/** Reads `file`, builds its network and loads every tensor into it; refuses, with core's or its own reason, anything else. */
export async function loadPretrained(file: File, status: (text: string) => void): Promise<Pretrained> {
  if (!WEIGHT_FILE.test(file.name))
    throw new ResNetError(
      `${file.name}: expected a PyTorch checkpoint (.pth or .pt, from torch.save) or a .safetensors state dict of an ImageNet ResNet`,
    );
  status(`reading ${file.name} (${(file.size / 1e6).toFixed(1)} MB)…`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const state = readState(bytes, file.name);
  const found = modelNameFromStateDict(state, file.name);
  const spec = resolveSpec(found);
  if (spec.family !== 'imagenet')
    throw new ResNetError(
      `${file.name} holds ${found}, a CIFAR net (32×32 inputs, Sec. 4.2); this card takes the ImageNet ResNets of Table 1 ` +
        '(resnet18, resnet34, resnet50, resnet101, resnet152): load CIFAR weights under Weights',
    );
  const entry: PretrainedWeights | undefined = PRETRAINED.find((w) => w.fileName === file.name);
  if (entry && entry.model !== found)
    throw new ResNetError(
      `${file.name} is named like the catalogue's ${entry.name} (${entry.model}), but its tensors are those of ${found}: rename the file, or pick the right one`,
    );
  const bottleneck = spec.block === 'bottleneck';
  const options: ModelOptions = entry
    ? pretrainedOptions(entry)
    : { ...optionsFromStateDict(found, state), ...(bottleneck ? { strideIn: '3x3' as const } : {}) };
  status(`building ${found} and loading ${state.size} tensors…`);
  const model = createModel(found, options);
  try {
    importStateDict(model, state);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const hash = await sha256(bytes);
  const notes: string[] = [];
  let checksum: string;
  if (entry) {
    const matches = hash.startsWith(entry.sha256Prefix);
    checksum = matches
      ? `starts with ${entry.sha256Prefix}, as the published file's name says`
      : `does not start with ${entry.sha256Prefix}, which the published file's name promises`;
    if (!matches)
      notes.push(
        `The file has the catalogue's name but not the published contents (SHA-256 ${hash.slice(0, 8)}…, not ${entry.sha256Prefix}…): ` +
          `its network, layout and preprocessing are the entry's, but torchvision's published accuracy is not these weights'.`,
      );
  } else {
    checksum = 'not checked: the file is not in the catalogue';
  }
  const layout = !bottleneck
    ? 'basic blocks (two 3×3 convs; no stride placement to choose)'
    : entry
      ? "bottleneck, stride in the 3×3 (torchvision's layout, as the catalogue entry says)"
      : "bottleneck, stride in the 3×3: torchvision's layout, assumed";
  if (bottleneck && !entry)
    notes.push(
      'Not in the catalogue, so torchvision\'s layout (stride in the 3×3, "ResNet v1.5") is assumed: the tensors have the same shapes ' +
        "with the stride in the first 1×1 (the paper's layout), and weights trained that way would load but classify wrongly.",
    );
  const preprocessing = entry?.preprocessing ?? IMAGENET_V1;
  if (!entry)
    notes.push(`Not in the catalogue: classified with torchvision's V1 evaluation transform (${describePreprocessing(preprocessing)}).`);
  const numClasses = model.spec.numClasses;
  const classNames = numClasses === 1000 ? IMAGENET_CLASSES : Array.from({ length: numClasses }, (_, i) => `class ${i}`);
  const blocks = model.spec.stages.join(', ');
  const info: PretrainedInfo = {
    file: file.name,
    bytes: file.size,
    name: found,
    label: networkIdentity(model.spec).label,
    identifiedBy: entry
      ? `by its file name: the catalogue's ${entry.name}; its tensors agree (${blocks} ${spec.block} blocks per stage)`
      : `from its tensors: ${blocks} ${spec.block} blocks per stage, head fc`,
    layout,
    params: model.summary().params,
    entry: entry ? { name: entry.name, torchvision: entry.torchvision, top1: entry.top1, top5: entry.top5 } : null,
    sha256: hash,
    checksum,
    notes,
    preprocessing: {
      resize: preprocessing.resize,
      crop: preprocessing.crop,
      mean: [...preprocessing.mean],
      std: [...preprocessing.std],
      source: `${describePreprocessing(preprocessing)}: ${entry ? `the catalogue entry's (${entry.torchvision}.transforms())` : "torchvision's V1 evaluation transform"}`,
    },
    numClasses,
    classes:
      numClasses === 1000
        ? "ImageNet's 1000 classes"
        : `${numClasses} classes without names (class 0 … class ${numClasses - 1}): the file's head is not ImageNet's`,
  };
  return { model, folded: foldBatchNorm(model), state, name: found, options, preprocessing, classNames, info };
}

export function disposePretrained(p: Pretrained | undefined): void {
  p?.folded.dispose();
  p?.model.dispose();
}
