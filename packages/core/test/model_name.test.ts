// modelNameFromStateDict: the paper's network a state dict holds, from its tensor names. The state
// dicts are the tensor names and PyTorch shapes of our own plans (which use torchvision's and the
// CIFAR reproduction's names; no tensor is allocated) and PyTorch-made fixtures.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  createModel,
  importStateDict,
  modelNameFromStateDict,
  optionsFromStateDict,
  planNetwork,
  planWeights,
  resolveSpec,
  torchShape,
  type ModelOptions,
  type TorchTensor,
} from '../src/index.js';
import { useCpu } from './helpers/cpu.js';
import { loadFixture } from './helpers/fixtures.js';

beforeAll(useCpu);

const EMPTY = new Float32Array(0);

/** The state dict names (and PyTorch shapes) of `name`, as torchvision or the CIFAR reproduction saves it. */
function stateOf(name: string, options: ModelOptions = {}): Map<string, TorchTensor> {
  const state = new Map<string, TorchTensor>();
  for (const [key, info] of planWeights(planNetwork(resolveSpec(name, options)))) {
    state.set(key, { shape: torchShape(info), data: EMPTY });
    if (info.role === 'running_var') state.set(key.replace(/running_var$/, 'num_batches_tracked'), { shape: [], data: EMPTY });
  }
  return state;
}

function without(state: Map<string, TorchTensor>, drop: (key: string) => boolean): Map<string, TorchTensor> {
  return new Map([...state].filter(([k]) => !drop(k)));
}

describe('modelNameFromStateDict', () => {
  test("names each of Table 1's ResNets from torchvision's tensor names, in either bottleneck layout", () => {
    for (const name of ['resnet18', 'resnet34']) expect(modelNameFromStateDict(stateOf(name))).toBe(name);
    for (const name of ['resnet50', 'resnet101', 'resnet152']) {
      expect(modelNameFromStateDict(stateOf(name, { strideIn: '3x3' }))).toBe(name);
      expect(modelNameFromStateDict(stateOf(name))).toBe(name);
    }
    // Another head, option C (a projection on every block): still resnet50.
    expect(modelNameFromStateDict(stateOf('resnet50', { numClasses: 5, shortcut: 'C' }))).toBe('resnet50');
  });

  test("ignores nn.DataParallel's module. prefix", () => {
    const prefixed = new Map([...stateOf('resnet34')].map(([k, t]) => [`module.${k}`, t]));
    expect(modelNameFromStateDict(prefixed)).toBe('resnet34');
  });

  test('names the CIFAR nets (6n+2), option A or B, and cifar-resnet50 where the depth is also an ImageNet one', () => {
    expect(modelNameFromStateDict(stateOf('resnet20'))).toBe('resnet20');
    expect(modelNameFromStateDict(stateOf('resnet110', { shortcut: 'B' }))).toBe('resnet110');
    expect(modelNameFromStateDict(stateOf('cifar-resnet50'))).toBe('cifar-resnet50');
    // PyTorch's own files (test/fixtures: the CIFAR reproduction's layout).
    expect(modelNameFromStateDict(loadFixture('cifar_resnet14_A').stateDict)).toBe('resnet14');
    expect(modelNameFromStateDict(loadFixture('cifar_resnet8_B').stateDict)).toBe('resnet8');
  });

  test('the name and optionsFromStateDict build a model the state dict loads into', () => {
    const fixture = loadFixture('cifar_resnet8_B');
    const name = modelNameFromStateDict(fixture.stateDict);
    const model = createModel(name, optionsFromStateDict(name, fixture.stateDict));
    try {
      expect(() => importStateDict(model, fixture.stateDict)).not.toThrow();
    } finally {
      model.dispose();
    }
  });

  test('refuses what is no ResNet of the paper, saying what it found', () => {
    const vgg = new Map<string, TorchTensor>([
      ['features.0.weight', { shape: [64, 3, 3, 3], data: EMPTY }],
      ['features.0.bias', { shape: [64], data: EMPTY }],
      ['classifier.0.weight', { shape: [4096, 25088], data: EMPTY }],
    ]);
    expect(() => modelNameFromStateDict(vgg, 'vgg.pth')).toThrow(
      'resnet: vgg.pth is not a ResNet\'s state dict: it has no tensors named layer<stage>.<block>.… (its 3 tensors start "features.0.weight", "features.0.bias", "classifier.0.weight")',
    );
    expect(() => modelNameFromStateDict(new Map())).toThrow('(it has no tensors at all)');
    // torchvision's ResNet at reduced depth (test/fixtures: layers [2, 1, 1, 1]).
    expect(() => modelNameFromStateDict(loadFixture('torchvision_basic').stateDict, 'small.pth')).toThrow(
      'resnet: small.pth has 4 stages of [2, 1, 1, 1] basic blocks (head "fc"), which is no ResNet of the paper\'s Table 1: ' +
        'resnet18 [2, 2, 2, 2] basic, resnet34 [3, 4, 6, 3] basic, resnet50 [3, 4, 6, 3] bottleneck, resnet101 [3, 4, 23, 3] bottleneck, resnet152 [3, 8, 36, 3] bottleneck',
    );
  });

  test('refuses cut-short and inconsistent dicts, naming the stage or block', () => {
    const r18 = stateOf('resnet18');
    expect(() => modelNameFromStateDict(without(r18, (k) => k.startsWith('layer2.')))).toThrow(
      "has stages layer1, layer3, layer4: a ResNet's are layer1, layer2, … with none missing",
    );
    expect(() => modelNameFromStateDict(without(stateOf('resnet34'), (k) => k.startsWith('layer3.2.')))).toThrow(
      "has blocks 0, 1, 3, 4, 5 in layer3: a stage's blocks are numbered 0, 1, … with none missing",
    );
    expect(() => modelNameFromStateDict(without(r18, (k) => k.startsWith('layer1.1.conv2.')))).toThrow(
      'block layer1.1 has no conv1 and conv2 tensors',
    );
    expect(() => modelNameFromStateDict(without(r18, (k) => k.startsWith('fc.')))).toThrow(
      'has 4 stages of [2, 2, 2, 2] basic blocks but no classifier: expected "fc.weight"',
    );
    const mixed = new Map([...r18, ['layer4.1.conv3.weight', { shape: [512, 512, 1, 1], data: EMPTY }]]);
    expect(() => modelNameFromStateDict(mixed)).toThrow('mixes blocks with and without conv3');
    // 4 stages of 3, 4, 6, 3 bottlenecks minus one block: no depth of Table 1.
    expect(() => modelNameFromStateDict(without(stateOf('resnet50'), (k) => k.startsWith('layer3.5.')))).toThrow(
      '4 stages of [3, 4, 5, 3] bottleneck blocks (head "fc"), which is no ResNet',
    );
    expect(() => modelNameFromStateDict(without(stateOf('resnet20'), (k) => k.startsWith('layer3.2.')))).toThrow(
      '3 stages of [3, 3, 2] basic blocks (head "linear"), which is no CIFAR ResNet of the paper',
    );
  });

  test('an ImageNet dict without projections is ambiguous (plain net or option A) and refused', () => {
    expect(() => modelNameFromStateDict(stateOf('plain34'))).toThrow(
      'has the tensors of resnet34 but no projection shortcuts (downsample.0.weight): that is plain34 or resnet34 with option A shortcuts',
    );
  });
});
