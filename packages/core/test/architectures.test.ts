// The paper's numbers as tests: parameter counts (Table 6, torchvision's exact figures), FLOPs
// (Table 1), shortcut options A/B/C (Sec. 3.3), stage shapes (Table 1, Sec. 4.2).
import { describe, expect, test } from 'vitest';
import { MODEL_NAMES, depthOf, listModels, resolveSpec, summarize, type ModelSummary } from '../src/index.js';

const params = (name: string, options = {}): number => summarize(resolveSpec(name, options)).params;

/** Independent closed form for a CIFAR net of depth 6n+2 (3×3 convs, BN γ/β, 10-way biased fc). */
function cifarParams(n: number): number {
  const conv = (i: number, o: number): number => 9 * i * o + 2 * o; // 3×3 conv + its BN
  let total = conv(3, 16);
  const widths = [16, 32, 64];
  let c = 16;
  for (const w of widths) {
    for (let b = 0; b < 2 * n; b++) {
      total += conv(c, w);
      c = w;
    }
  }
  return total + 64 * 10 + 10;
}

describe('CIFAR-10 nets (Sec. 4.2, Table 6)', () => {
  // depth, n, the paper's rounded count
  const table6: Array<[number, number, number]> = [
    [20, 3, 0.27e6],
    [32, 5, 0.46e6],
    [44, 7, 0.66e6],
    [56, 9, 0.85e6],
    [110, 18, 1.7e6],
    [1202, 200, 19.4e6],
  ];
  test.each(table6)("resnet%i (n=%i) has the paper's %d parameters", (depth, n, paper) => {
    const p = params(`resnet${depth}`);
    expect(p).toBe(cifarParams(n));
    // Table 6 rounds to 2 significant figures below 1M and 1 decimal of a million above.
    const digits = paper >= 1e6 ? 1e5 : 1e4;
    expect(Math.round(p / digits) * digits).toBeCloseTo(paper, 0);
    expect(depthOf(resolveSpec(`resnet${depth}`))).toBe(depth);
  });

  test('ResNet-20 has exactly 269,722 parameters (BN γ/β and a biased fc)', () => {
    expect(params('resnet20')).toBe(269_722);
  });

  test("option A is parameter-free: every ResNet has exactly its plain twin's parameters", () => {
    for (const depth of [20, 32, 44, 56, 110, 1202]) expect(params(`resnet${depth}`)).toBe(params(`plain${depth}`));
  });

  test('any depth 6n+2 resolves, others are refused', () => {
    expect(resolveSpec('resnet8').stages).toEqual([1, 1, 1]);
    expect(resolveSpec('plain14').stages).toEqual([2, 2, 2]);
    expect(resolveSpec('cifar-resnet50').family).toBe('cifar');
    expect(resolveSpec('cifar-resnet50').stages).toEqual([8, 8, 8]);
    expect(() => resolveSpec('resnet21')).toThrow(/unknown model "resnet21"/);
    expect(() => resolveSpec('cifar-resnet21')).toThrow(/6n\+2.*got 21/);
  });

  test('stage outputs: 32×32×16, 16×16×32, 8×8×64 (Sec. 4.2), 6n+2 weighted layers', () => {
    const s = summarize(resolveSpec('resnet56'));
    expect(lastShapeOf(s, 'layer1')).toEqual([32, 32, 16]);
    expect(lastShapeOf(s, 'layer2')).toEqual([16, 16, 32]);
    expect(lastShapeOf(s, 'layer3')).toEqual([8, 8, 64]);
    const weighted = s.layers.filter((l) => l.type === 'conv' || l.type === 'fc').length;
    expect(weighted).toBe(56);
    expect(s.layers.filter((l) => l.type === 'shortcut').map((l) => l.name)).toEqual(['layer2.0.shortcut', 'layer3.0.shortcut']);
  });
});

describe('ImageNet nets (Table 1)', () => {
  // torchvision's exact counts (option B, BN γ/β, biased fc).
  const torchvision: Array<[string, number]> = [
    ['resnet18', 11_689_512],
    ['resnet34', 21_797_672],
    ['resnet50', 25_557_032],
    ['resnet101', 44_549_160],
    ['resnet152', 60_192_808],
  ];
  test.each(torchvision)("%s has torchvision's %i parameters", (name, count) => {
    expect(params(name)).toBe(count);
    // The stride's position does not change the parameters.
    if (name !== 'resnet18' && name !== 'resnet34') expect(params(name, { strideIn: '3x3' })).toBe(count);
  });

  const flops: Array<[string, number]> = [
    ['resnet18', 1.8e9],
    ['resnet34', 3.6e9],
    ['resnet50', 3.8e9],
    ['resnet101', 7.6e9],
    ['resnet152', 11.3e9],
  ];
  test.each(flops)("%s has Table 1's %d multiply-adds within 3% (paper layout)", (name, paper) => {
    const macs = summarize(resolveSpec(name)).macs;
    expect(Math.abs(macs - paper) / paper).toBeLessThan(0.03);
  });

  test("the plain 34-layer net is 18% of VGG-19's 19.6 GFLOPs (Sec. 3.3)", () => {
    const macs = summarize(resolveSpec('plain34')).macs;
    expect(macs / 19.6e9).toBeGreaterThan(0.17);
    expect(macs / 19.6e9).toBeLessThan(0.19);
  });

  test('stride in the 3×3 (torchvision v1.5) costs more: ResNet-50 4.09 vs 3.86 GMACs', () => {
    expect(summarize(resolveSpec('resnet50', { strideIn: '3x3' })).macs / 1e9).toBeCloseTo(4.089, 2);
    expect(summarize(resolveSpec('resnet50')).macs / 1e9).toBeCloseTo(3.858, 2);
  });

  test.each(['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'])("%s stage outputs are Table 1's", (name) => {
    const s = summarize(resolveSpec(name));
    const c = resolveSpec(name).block === 'basic' ? 1 : 4;
    expect(s.layers.find((l) => l.name === 'conv1')!.outputShape).toEqual([112, 112, 64]);
    expect(s.layers.find((l) => l.name === 'maxpool')!.outputShape).toEqual([56, 56, 64]);
    expect(lastShapeOf(s, 'layer1')).toEqual([56, 56, 64 * c]);
    expect(lastShapeOf(s, 'layer2')).toEqual([28, 28, 128 * c]);
    expect(lastShapeOf(s, 'layer3')).toEqual([14, 14, 256 * c]);
    expect(lastShapeOf(s, 'layer4')).toEqual([7, 7, 512 * c]);
    expect(s.layers.at(-1)).toMatchObject({ name: 'fc', outputShape: [1000], params: 512 * c * 1000 + 1000 });
    expect(s.layers.filter((l) => l.type === 'conv' && !l.name.includes('downsample')).length + 1).toBe(depthOf(resolveSpec(name)));
  });
});

describe('shortcut options A/B/C (Sec. 3.3, Table 3)', () => {
  // 1×1 projection + its BN for in → out channels.
  const proj = (i: number, o: number): number => i * o + 2 * o;

  test('ResNet-34: A = plain, B adds the three projections where dimensions increase', () => {
    expect(params('resnet34', { shortcut: 'A' })).toBe(params('plain34'));
    expect(params('resnet34', { shortcut: 'B' }) - params('resnet34', { shortcut: 'A' })).toBe(
      proj(64, 128) + proj(128, 256) + proj(256, 512),
    );
  });

  test('ResNet-34: C adds a projection to every one of the 16 blocks', () => {
    const perStage: Array<[number, number, number]> = [
      [64, 64, 3],
      [128, 128, 4],
      [256, 256, 6],
      [512, 512, 3],
    ];
    let expected = 0;
    let c = 64;
    for (const [, w, count] of perStage) {
      for (let b = 0; b < count; b++) {
        expected += proj(c, w);
        c = w;
      }
    }
    expect(params('resnet34', { shortcut: 'C' }) - params('resnet34', { shortcut: 'A' })).toBe(expected);
  });

  test('ResNet-50 B has four projections (layer1.0 changes channels at stride 1); CIFAR B/C add `shortcut.0/.1`', () => {
    const names = summarize(resolveSpec('resnet50'))
      .layers.filter((l) => l.name.includes('downsample.0'))
      .map((l) => l.name);
    expect(names).toEqual(['layer1.0.downsample.0', 'layer2.0.downsample.0', 'layer3.0.downsample.0', 'layer4.0.downsample.0']);
    const cifarB = summarize(resolveSpec('resnet20', { shortcut: 'B' })).layers.filter((l) => l.name.includes('shortcut.0'));
    expect(cifarB.map((l) => l.name)).toEqual(['layer2.0.shortcut.0', 'layer3.0.shortcut.0']);
    expect(params('resnet20', { shortcut: 'B' }) - params('resnet20')).toBe(proj(16, 32) + proj(32, 64));
    expect(summarize(resolveSpec('resnet20', { shortcut: 'C' })).layers.filter((l) => l.name.endsWith('shortcut.0'))).toHaveLength(9);
  });
});

describe('registry', () => {
  test('lists every net of the paper with depth, parameters and multiply-adds', () => {
    const models = listModels();
    expect(models.map((m) => m.name)).toEqual([...MODEL_NAMES]);
    for (const name of ['resnet18', 'resnet152', 'plain34', 'plain152', 'resnet20', 'resnet1202', 'plain20', 'plain110']) {
      expect(MODEL_NAMES).toContain(name);
    }
    const r50 = models.find((m) => m.name === 'resnet50')!;
    expect(r50).toMatchObject({ family: 'imagenet', depth: 50, residual: true, params: 25_557_032, inputSize: 224 });
    expect(models.find((m) => m.name === 'plain20')).toMatchObject({ family: 'cifar', depth: 20, residual: false, params: 269_722 });
  });

  test('paper defaults: A on CIFAR, B on ImageNet, stride in the 1×1, 10 / 1000 classes', () => {
    expect(resolveSpec('resnet20')).toMatchObject({ shortcut: 'A', numClasses: 10, inputSize: 32, stemWidth: 16, widths: [16, 32, 64] });
    expect(resolveSpec('resnet50')).toMatchObject({ shortcut: 'B', strideIn: '1x1', numClasses: 1000, inputSize: 224 });
    expect(resolveSpec('plain34').shortcut).toBe('none');
  });

  test('options change the spec', () => {
    const s = resolveSpec('resnet50', {
      numClasses: 7,
      shortcut: 'C',
      strideIn: '3x3',
      inputSize: 64,
      stemWidth: 8,
      widths: [8, 16, 32, 64],
    });
    expect(s).toMatchObject({ numClasses: 7, shortcut: 'C', strideIn: '3x3', inputSize: 64, stemWidth: 8, widths: [8, 16, 32, 64] });
    expect(summarize(s).layers.at(-1)!.outputShape).toEqual([7]);
  });

  test('bad names and options get errors that name the value and what was expected', () => {
    expect(() => resolveSpec('resnet99')).toThrow(/unknown model "resnet99"; known models: resnet18, .*resnet1202/);
    expect(() => resolveSpec('vgg16')).toThrow(/unknown model "vgg16"/);
    expect(() => resolveSpec('plain20', { shortcut: 'B' })).toThrow(/shortcut does not apply to plain net "plain20"/);
    expect(() => resolveSpec('resnet18', { strideIn: '3x3' })).toThrow(/strideIn applies to bottleneck nets .* not "resnet18"/);
    expect(() => resolveSpec('resnet50', { strideIn: '5x5' as never })).toThrow(/strideIn must be "1x1" or "3x3", got "5x5"/);
    expect(() => resolveSpec('resnet20', { shortcut: 'D' as never })).toThrow(/shortcut must be "A", "B" or "C", got "D"/);
    expect(() => resolveSpec('resnet20', { numClasses: 0 })).toThrow(/numClasses must be a positive integer, got 0/);
    expect(() => resolveSpec('resnet20', { inputSize: 31.5 })).toThrow(/inputSize must be a positive integer, got 31.5/);
    expect(() => resolveSpec('resnet20', { widths: [16, 32] })).toThrow(/widths must list 3 stage widths for "resnet20", got \[16,32\]/);
    expect(() => resolveSpec('resnet20', { depth: 3 } as never)).toThrow(/unknown option "depth"/);
  });
});

function lastShapeOf(s: ModelSummary, stage: string): readonly number[] {
  const rows = s.layers.filter((l) => l.name.startsWith(`${stage}.`) && l.type !== 'batchnorm');
  const mainPath = rows.filter((l) => !l.name.includes('downsample') && !l.name.includes('shortcut'));
  return mainPath.at(-1)!.outputShape;
}
