/**
 * Element-wise float32 kernels: the arithmetic of BN's composite path, the residual addition, the
 * ReLU and its gradient (Step × dy), the optimizer's updates. A broadcast is mapped onto one
 * [outer, inner] view (native/elementwise.cc); one that does not fit runs on the cpu kernel.
 */
import { backend_util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { int32, isF32, nativeKernel, sizeOf } from './util.js';

/** Codes of native/elementwise.cc. */
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 } as const;
const UNARY = { Relu: 0, Relu6: 1, Step: 2, Neg: 3, Exp: 4, Log: 5, Sqrt: 6, Rsqrt: 7, Square: 8, Abs: 9, Sigmoid: 10, Tanh: 11, Reciprocal: 12 } as const;

/**
 * The [outer, inner] view of a broadcast: strides [aso, asi, bso, bsi], each 0 (repeated) or dense,
 * or undefined when no single split of the output's axes fits both operands.
 */
export function broadcastView(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): number[] | undefined {
  const rank = outShape.length;
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const a = pad(aShape);
  const b = pad(bShape);
  for (let split = 0; split <= rank; split++) {
    const outer = sizeOf(outShape.slice(0, split));
    const inner = sizeOf(outShape.slice(split));
    const strides: number[] = [];
    let ok = true;
    for (const s of [a, b]) {
      const group = (from: number, to: number): 'full' | 'one' | 'mixed' => {
        let full = true;
        let one = true;
        for (let i = from; i < to; i++) {
          if (outShape[i] === 1) continue;
          if (s[i] === outShape[i]) one = false;
          else if (s[i] === 1) full = false;
          else return 'mixed';
        }
        return full ? 'full' : one ? 'one' : 'mixed';
      };
      const o = group(0, split);
      const i = group(split, rank);
      if (o === 'mixed' || i === 'mixed') {
        ok = false;
        break;
      }
      const si = i === 'full' ? 1 : 0;
      const so = o === 'full' ? (si === 1 ? inner : 1) : 0;
      strides.push(so, si);
    }
    if (ok) return [outer, inner, ...strides];
  }
  return undefined;
}

function binary(name: keyof typeof BINARY) {
  return nativeKernel(name, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (!isF32(a, b)) return undefined;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (sizeOf(outShape) === 0) return undefined;
    const view = broadcastView(a.shape, b.shape, outShape);
    if (!view) return undefined;
    const out = backend.makeFloat32(outShape);
    backend.addon.binary(BINARY[name], int32(view), backend.f32(a), backend.f32(b), out.values);
    return out.info;
  });
}

function unary(name: keyof typeof UNARY, alpha: (attrs: NamedAttrMap | undefined) => number = () => 0) {
  return nativeKernel(name, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (!isF32(x) || sizeOf(x.shape) === 0) return undefined;
    const out = backend.makeFloat32([...x.shape]);
    backend.addon.unary(UNARY[name], backend.f32(x), out.values, alpha(attrs), 0);
    return out.info;
  });
}

export const ELEMENTWISE_KERNELS = [
  ...(Object.keys(BINARY) as (keyof typeof BINARY)[]).map(binary),
  ...(Object.keys(UNARY) as (keyof typeof UNARY)[]).filter((n) => n !== 'Step').map((n) => unary(n)),
  unary('Step', (attrs) => Number((attrs as { alpha?: number } | undefined)?.alpha ?? 0)),
];
