/**
 * Per layer: name, output shape, parameters and multiply-adds, computed from the plan without running
 * anything (so ResNet-1202 or ResNet-152 at 224×224 summarise instantly). Multiply-adds count the
 * convs and the fc, as Table 1's "FLOPs" do; parameters count trainable weights (conv, BN γ/β, fc
 * weight and bias), as torchvision does; BN running statistics are listed apart as buffers.
 */
import type { ResNetSpec } from '../architectures/spec.js';
import type { ConvPlan } from '../blocks/types.js';
import { outSize, planNetwork, planWeights, type NetworkPlan } from './plan.js';

export type LayerType = 'conv' | 'batchnorm' | 'maxpool' | 'shortcut' | 'avgpool' | 'fc';

export interface LayerSummary {
  readonly name: string;
  readonly type: LayerType;
  /** [H, W, C] for maps, [features] after pooling. */
  readonly outputShape: readonly number[];
  readonly params: number;
  readonly macs: number;
}

export interface ModelSummary {
  readonly model: string;
  readonly spec: ResNetSpec;
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly LayerSummary[];
  /** Trainable parameters. */
  readonly params: number;
  /** BN running means and variances. */
  readonly buffers: number;
  /** Multiply-adds of one image's forward pass. */
  readonly macs: number;
}

export function summarize(spec: ResNetSpec, plan: NetworkPlan = planNetwork(spec), inputSize = spec.inputSize): ModelSummary {
  const layers: LayerSummary[] = [];
  let size = inputSize;
  const convRows = (conv: ConvPlan, inSize: number): number => {
    const out = outSize(inSize, conv.kernel, conv.stride, conv.pad);
    const params = conv.kernel * conv.kernel * conv.inChannels * conv.outChannels;
    layers.push({ name: conv.name, type: 'conv', outputShape: [out, out, conv.outChannels], params, macs: params * out * out });
    layers.push({ name: conv.bn, type: 'batchnorm', outputShape: [out, out, conv.outChannels], params: 2 * conv.outChannels, macs: 0 });
    return out;
  };

  size = convRows(plan.stem, size);
  if (plan.maxPool) {
    const { name, kernel, stride, pad } = plan.maxPool;
    size = outSize(size, kernel, stride, pad);
    layers.push({ name, type: 'maxpool', outputShape: [size, size, plan.stem.outChannels], params: 0, macs: 0 });
  }
  for (const stage of plan.stages) {
    for (const block of stage.blocks) {
      const blockIn = size;
      for (const conv of block.convs) size = convRows(conv, size);
      const sc = block.shortcut;
      if (sc.kind === 'projection') convRows(sc.conv, blockIn);
      if (sc.kind === 'zero-pad') {
        layers.push({ name: sc.name, type: 'shortcut', outputShape: [size, size, block.outChannels], params: 0, macs: 0 });
      }
    }
  }
  const { head } = plan;
  layers.push({ name: 'avgpool', type: 'avgpool', outputShape: [head.inFeatures], params: 0, macs: 0 });
  layers.push({
    name: head.name,
    type: 'fc',
    outputShape: [head.outFeatures],
    params: head.inFeatures * head.outFeatures + head.outFeatures,
    macs: head.inFeatures * head.outFeatures,
  });

  let buffers = 0;
  for (const info of planWeights(plan).values()) if (!info.trainable) buffers += info.shape.reduce((a, b) => a * b, 1);
  return {
    model: spec.name,
    spec,
    inputShape: [inputSize, inputSize, spec.inputChannels],
    layers,
    params: layers.reduce((sum, l) => sum + l.params, 0),
    buffers,
    macs: layers.reduce((sum, l) => sum + l.macs, 0),
  };
}

/** Compact human form: 11,689,512 → "11.69M", 1.82e9 → "1.82G". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** The summary as a text table, like torchinfo's or Keras' `model.summary()`. */
export function formatSummary(summary: ModelSummary): string {
  const rows = summary.layers.map((l) => [
    l.name,
    l.type,
    `[${l.outputShape.join(', ')}]`,
    l.params.toLocaleString('en-US'),
    l.macs.toLocaleString('en-US'),
  ]);
  const header = ['layer', 'type', 'output shape', 'params', 'mult-adds'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const { spec } = summary;
  return [
    `${summary.model}: ${spec.family}, ${spec.block} blocks ${JSON.stringify(spec.stages)}, shortcut ${spec.shortcut}` +
      `${spec.block === 'bottleneck' ? `, stride in ${spec.strideIn}` : ''}, input [${summary.inputShape.join(', ')}], ${spec.numClasses} classes`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `parameters: ${summary.params.toLocaleString('en-US')} (${formatCount(summary.params)})`,
    `buffers (BN running statistics): ${summary.buffers.toLocaleString('en-US')}`,
    `multiply-adds: ${summary.macs.toLocaleString('en-US')} (${formatCount(summary.macs)})`,
  ].join('\n');
}
