/**
 * How the paper names its networks in figures and tables: "plain-20", "ResNet-56", "ResNet-110".
 * One place, so the degradation figure, the response chart and the CLI's tables agree.
 */
import { depthOf, isResidual, type ResNetSpec } from '../architectures/spec.js';

export type NetworkKind = 'plain' | 'residual';

export interface NetworkIdentity {
  /** "plain-20" or "ResNet-20". */
  readonly label: string;
  readonly kind: NetworkKind;
  /** Weighted layers (6n+2 on CIFAR, 18…152 on ImageNet). */
  readonly depth: number;
}

export function networkIdentity(spec: ResNetSpec): NetworkIdentity {
  const depth = depthOf(spec);
  const kind: NetworkKind = isResidual(spec) ? 'residual' : 'plain';
  return { label: `${kind === 'residual' ? 'ResNet' : 'plain'}-${depth}`, kind, depth };
}
