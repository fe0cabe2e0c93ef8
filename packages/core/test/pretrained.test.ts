// The catalogue of published weights (src/pretrained/): every entry's hash prefix is the one its
// file name carries (what torch.hub checks downloads against), names resolve as torchvision's do,
// the bottleneck nets get torchvision's layout (stride in the 3×3), and ImageNet's class names.
import { beforeAll, describe, expect, test } from 'vitest';
import { IMAGENET_CLASSES, PRETRAINED, createModel, findPretrained, pretrainedOptions } from '../src/index.js';
import { useCpu } from './helpers/cpu.js';

beforeAll(useCpu);

describe('the catalogue', () => {
  test('one entry per torchvision ResNet weight file, each hash prefix the one in its file name', () => {
    expect(PRETRAINED.map((w) => w.fileName)).toEqual([
      'resnet18-f37072fd.pth',
      'resnet34-b627a593.pth',
      'resnet50-0676ba61.pth',
      'resnet50-11ad3fa6.pth',
      'resnet101-63fe2227.pth',
      'resnet101-cd907fc2.pth',
      'resnet152-394f9c45.pth',
      'resnet152-f82ba261.pth',
    ]);
    for (const w of PRETRAINED) {
      expect(w.url).toBe(`https://download.pytorch.org/models/${w.fileName}`);
      expect(w.fileName).toBe(`${w.model}-${w.sha256Prefix}.pth`);
      expect(w.sha256Prefix).toMatch(/^[0-9a-f]{8}$/);
      expect(w.top5).toBeGreaterThan(w.top1);
    }
    // One default per model, as torchvision's DEFAULT.
    for (const model of ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'])
      expect(PRETRAINED.filter((w) => w.model === model && w.isDefault)).toHaveLength(1);
  });

  test('names resolve like torchvision: ours, the enum, the file name, the model alone', () => {
    expect(findPretrained('resnet50.imagenet1k_v2').fileName).toBe('resnet50-11ad3fa6.pth');
    expect(findPretrained('ResNet50_Weights.IMAGENET1K_V1').fileName).toBe('resnet50-0676ba61.pth');
    expect(findPretrained('resnet101-63fe2227.pth').name).toBe('resnet101.imagenet1k_v1');
    expect(findPretrained('resnet50').name).toBe('resnet50.imagenet1k_v2');
    expect(findPretrained('resnet18').top1).toBe(69.758);
    expect(() => findPretrained('resnet20')).toThrow(
      /no published weights are called "resnet20"; the catalogue has resnet18\.imagenet1k_v1, /,
    );
  });

  test("the bottleneck nets are built in torchvision's layout, the stride in the 3×3", () => {
    for (const w of PRETRAINED) {
      const model = createModel(w.model, pretrainedOptions(w));
      expect(model.spec.numClasses).toBe(1000);
      if (model.spec.block === 'bottleneck') expect(model.spec.strideIn).toBe('3x3');
      expect(w.strideIn).toBe(model.spec.block === 'bottleneck' ? '3x3' : '1x1');
      model.dispose();
    }
  });

  test('preprocessing as torchvision evaluates them: V1 resize 256, V2 232, crop 224, ImageNet mean and std', () => {
    expect(findPretrained('resnet50.imagenet1k_v1').preprocessing).toEqual({
      resize: 256,
      crop: 224,
      interpolation: 'bilinear',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    expect(findPretrained('resnet50.imagenet1k_v2').preprocessing.resize).toBe(232);
  });

  test("ImageNet's 1000 class names, in the classifier's order", () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect(IMAGENET_CLASSES.slice(0, 3)).toEqual(['tench', 'goldfish', 'great white shark']);
    expect(IMAGENET_CLASSES[999]).toBe('toilet tissue');
    expect(Object.isFrozen(IMAGENET_CLASSES)).toBe(true);
  });
});
