// Parity with PyTorch: torchvision's ResNet (basic and bottleneck, stride in the 3×3 and in the 1×1)
// and the common CIFAR reproduction (option A and B), same weights and input, within 1e-4 relative
// (max |ours − theirs| / max |theirs|; float32 sums in another order differ by ~1e-6 relative).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { ResNet, importSafetensors, importStateDict, optionsFromStateDict, serializeSafetensors } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';
import { fixtureNames, loadFixture, relativeError } from './helpers/fixtures.js';

const TOLERANCE = 1e-4;

beforeAll(useCpu);

test('the fixtures are all here', () => {
  expect(fixtureNames()).toEqual([
    'cifar_resnet14_A',
    'cifar_resnet8_B',
    'paper_bottleneck',
    'torchvision_basic',
    'torchvision_bottleneck',
  ]);
});

describe.each(fixtureNames())('%s', (name) => {
  const fx = loadFixture(name);
  const input = (): tf.Tensor4D => {
    const t = fx.extra.get('input')!;
    return tf.tensor4d(t.data, t.shape as [number, number, number, number]);
  };

  test("through a safetensors file of the state dict alone, logits equal PyTorch's eval() logits", () => {
    const stateOnly = serializeSafetensors(
      [...fx.stateDict].map(([key, t]) =>
        key.endsWith('num_batches_tracked')
          ? { name: key, dtype: 'I64' as const, shape: [...t.shape], data: BigInt64Array.of(BigInt(t.data[0]!)) }
          : { name: key, dtype: 'F32' as const, shape: [...t.shape], data: t.data },
      ),
    );
    const model = new ResNet(fx.spec);
    importSafetensors(model, stateOnly);
    const x = input();
    const logits = model.predict(x);
    expect(relativeError(logits.dataSync(), fx.extra.get('logits_eval')!.data)).toBeLessThan(TOLERANCE);
    tf.dispose([x, logits]);
    model.dispose();
  });

  test('eval logits, train logits and updated running statistics', () => {
    const model = new ResNet(fx.spec);
    importStateDict(model, fx.stateDict);
    expect(model.numBatchesTracked).toBe(3);
    const x = input();
    const evalLogits = model.predict(x);
    expect(relativeError(evalLogits.dataSync(), fx.extra.get('logits_eval')!.data)).toBeLessThan(TOLERANCE);
    const trainLogits = model.apply(x, { training: true });
    expect(relativeError(trainLogits.dataSync(), fx.extra.get('logits_train')!.data)).toBeLessThan(TOLERANCE);
    expect(model.numBatchesTracked).toBe(4);
    let checked = 0;
    for (const [key, t] of fx.extra) {
      const m = /^after_train\.(.+)\.(running_mean|running_var)$/.exec(key);
      if (!m) continue;
      expect(relativeError(model.variables.get(`${m[1]}.${m[2]}`)!.dataSync(), t.data), key).toBeLessThan(TOLERANCE);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(18);
    tf.dispose([x, evalLogits, trainLogits]);
    model.dispose();
  });
});

test('a file with tensors the model does not have is refused, naming one', () => {
  const fx = loadFixture('cifar_resnet8_B');
  const model = new ResNet(fx.spec);
  expect(() => importSafetensors(model, fx.bytes)).toThrow(/weights do not fit cifar_resnet8_B: unexpected tensor "__fixture__\./);
  model.dispose();
});

test('options are read back from a state dict: widths, classes, shortcut option', () => {
  expect(optionsFromStateDict('resnet14', loadFixture('cifar_resnet14_A').stateDict)).toEqual({
    numClasses: 10,
    stemWidth: 16,
    inputChannels: 3,
    widths: [16, 32, 64],
    shortcut: 'A',
  });
  expect(optionsFromStateDict('resnet8', loadFixture('cifar_resnet8_B').stateDict).shortcut).toBe('B');
  expect(optionsFromStateDict('resnet18', loadFixture('torchvision_basic').stateDict)).toMatchObject({
    widths: [8, 16, 32, 64],
    stemWidth: 8,
    shortcut: 'B',
  });
});
