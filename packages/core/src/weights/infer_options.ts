/**
 * The options a state dict was made with, read from its tensors' shapes: classes, input channels,
 * widths and shortcut option. A registry name still decides depth and block kind, and the stride's
 * place in a bottleneck (which leaves no trace in the shapes) must be given.
 */
import { resolveSpec, type ModelOptions } from '../architectures/registry.js';
import { isResidual } from '../architectures/spec.js';
import { ResNetError } from '../errors.js';
import type { TorchTensor } from './state_dict.js';

export function optionsFromStateDict(name: string, stateDict: ReadonlyMap<string, TorchTensor>): ModelOptions {
  const spec = resolveSpec(name);
  const get = (key: string): TorchTensor => {
    const t = stateDict.get(key) ?? stateDict.get(`module.${key}`);
    if (!t) throw new ResNetError(`resnet: weights do not fit ${name}: missing "${key}"`);
    return t;
  };
  const head = spec.family === 'imagenet' ? 'fc' : 'linear';
  const stem = get('conv1.weight').shape; // OIHW
  const options: ModelOptions = {
    numClasses: get(`${head}.weight`).shape[0]!,
    stemWidth: stem[0]!,
    inputChannels: stem[1]!,
    widths: spec.stages.map((_, s) => get(`layer${s + 1}.0.conv1.weight`).shape[0]!),
  };
  if (isResidual(spec)) {
    const projections = [...stateDict.keys()].filter((k) => /\.(downsample|shortcut)\.0\.weight$/.test(k)).length;
    const blocks = spec.stages.reduce((a, b) => a + b, 0);
    options.shortcut = projections === 0 ? 'A' : projections === blocks ? 'C' : 'B';
  }
  return options;
}
