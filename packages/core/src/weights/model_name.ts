/**
 * Which network of the paper a PyTorch state dict holds, from its tensor names alone: blocks per
 * stage (`layer1.0.…`, `layer1.1.…`), whether blocks have a third conv (bottleneck) and the head's
 * name (`fc` on the ImageNet nets of Table 1, `linear` on the CIFAR nets of Sec. 4.2). What a
 * shape tells (classes, widths, shortcut option) is optionsFromStateDict's; where a bottleneck puts
 * its stride leaves no trace in either, so the caller still has to say (torchvision: '3x3').
 *
 * Option A shortcuts have no tensors, so a ResNet with them and its plain twin have the same state
 * dict. On CIFAR, option A is the paper's choice (and the common reproduction's), so such a dict is
 * read as that ResNet; an ImageNet dict without any projection is refused as ambiguous, since
 * torchvision's ResNets (and the paper's option B) always have projections where dimensions change.
 */
import { resolveSpec } from '../architectures/registry.js';
import { ResNetError } from '../errors.js';
import type { TorchTensor } from './state_dict.js';

/** Table 1's depths; their stage counts and block kinds come from the registry. */
const IMAGENET_DEPTHS = [18, 34, 50, 101, 152] as const;

const BLOCK_KEY = /^layer(\d+)\.(\d+)\.(.+)$/;
const PROJECTION_KEY = /^layer\d+\.\d+\.(downsample|shortcut)\.0\.weight$/;

function list(values: readonly (number | string)[]): string {
  return values.join(', ');
}

function table1(): string {
  return IMAGENET_DEPTHS.map((d) => {
    const spec = resolveSpec(`resnet${d}`);
    return `resnet${d} [${list(spec.stages)}] ${spec.block}`;
  }).join(', ');
}

/**
 * The registry name of the paper's network whose tensors `state` holds: `resnet18` … `resnet152`
 * for torchvision's ImageNet ResNets, `resnet20`, `resnet56` … (any 6n+2; `cifar-resnet50` where a
 * CIFAR depth is also an ImageNet one) for the CIFAR nets. A `module.` prefix (nn.DataParallel) is
 * ignored. Throws a ResNetError saying what was found (stages, blocks, head) when it fits none of
 * them; `what` names the file in that message.
 */
export function modelNameFromStateDict(state: ReadonlyMap<string, TorchTensor>, what = 'the state dict'): string {
  const keys = [...state.keys()].map((k) => (k.startsWith('module.') ? k.slice('module.'.length) : k));
  // stage number → block index → the names of its tensors below the block (`conv1.weight`, …)
  const stages = new Map<number, Map<number, Set<string>>>();
  for (const key of keys) {
    const m = BLOCK_KEY.exec(key);
    if (!m) continue;
    const stage = Number(m[1]);
    const block = Number(m[2]);
    const blocks = stages.get(stage) ?? new Map<number, Set<string>>();
    stages.set(stage, blocks);
    const names = blocks.get(block) ?? new Set<string>();
    blocks.set(block, names);
    names.add(m[3]!);
  }
  if (stages.size === 0) {
    const shown = keys.slice(0, 5).map((k) => `"${k}"`);
    throw new ResNetError(
      `resnet: ${what} is not a ResNet's state dict: it has no tensors named layer<stage>.<block>.… ` +
        (keys.length === 0
          ? '(it has no tensors at all)'
          : `(its ${keys.length} tensors start ${list(shown)}${keys.length > 5 ? ', …' : ''})`),
    );
  }
  const stageNumbers = [...stages.keys()].sort((a, b) => a - b);
  if (stageNumbers.some((s, i) => s !== i + 1)) {
    throw new ResNetError(
      `resnet: ${what} has stages ${list(stageNumbers.map((s) => `layer${s}`))}: a ResNet's are layer1, layer2, … with none missing`,
    );
  }
  const counts: number[] = [];
  const kinds = new Set<'basic' | 'bottleneck'>();
  for (const s of stageNumbers) {
    const blocks = stages.get(s)!;
    const indices = [...blocks.keys()].sort((a, b) => a - b);
    if (indices.some((b, i) => b !== i)) {
      throw new ResNetError(
        `resnet: ${what} has blocks ${list(indices)} in layer${s}: a stage's blocks are numbered 0, 1, … with none missing (is the file cut short?)`,
      );
    }
    for (const b of indices) {
      const names = [...blocks.get(b)!];
      const has = (conv: string): boolean => names.some((n) => n.startsWith(`${conv}.`));
      if (!has('conv1') || !has('conv2'))
        throw new ResNetError(`resnet: ${what}: block layer${s}.${b} has no conv1 and conv2 tensors, as every ResNet block has`);
      kinds.add(has('conv3') ? 'bottleneck' : 'basic');
    }
    counts.push(indices.length);
  }
  if (kinds.size > 1)
    throw new ResNetError(
      `resnet: ${what} mixes blocks with and without conv3 (bottleneck and basic): a ResNet of the paper has one kind throughout`,
    );
  const kind = [...kinds][0]!;
  const head = keys.includes('fc.weight') ? 'fc' : keys.includes('linear.weight') ? 'linear' : undefined;
  const found = `${counts.length} stages of [${list(counts)}] ${kind} blocks`;
  if (!head)
    throw new ResNetError(
      `resnet: ${what} has ${found} but no classifier: expected "fc.weight" (torchvision's ImageNet ResNets) or "linear.weight" (the CIFAR nets)`,
    );
  const projections = keys.some((k) => PROJECTION_KEY.test(k));
  if (head === 'fc') {
    const depth = IMAGENET_DEPTHS.find((d) => {
      const spec = resolveSpec(`resnet${d}`);
      return spec.block === kind && spec.stages.length === counts.length && spec.stages.every((n, i) => n === counts[i]);
    });
    if (depth === undefined)
      throw new ResNetError(`resnet: ${what} has ${found} (head "fc"), which is no ResNet of the paper's Table 1: ${table1()}`);
    if (!projections)
      throw new ResNetError(
        `resnet: ${what} has the tensors of resnet${depth} but no projection shortcuts (downsample.0.weight): that is plain${depth} or ` +
          `resnet${depth} with option A shortcuts, which have the same tensors; torchvision's ResNets always have projections`,
      );
    return `resnet${depth}`;
  }
  if (kind !== 'basic' || counts.length !== 3 || counts.some((n) => n !== counts[0]))
    throw new ResNetError(
      `resnet: ${what} has ${found} (head "linear"), which is no CIFAR ResNet of the paper (Sec. 4.2: 3 stages of n basic blocks each, depth 6n+2)`,
    );
  const depth = 6 * counts[0]! + 2;
  // 50 and 152 are also ImageNet depths: the registry reads those names as the ImageNet nets.
  return resolveSpec(`resnet${depth}`).family === 'cifar' ? `resnet${depth}` : `cifar-resnet${depth}`;
}
