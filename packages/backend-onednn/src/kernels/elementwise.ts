/**
 * Element-wise float32 kernels: the arithmetic of BN's composite path, the residual addition, the
 * ReLU and its gradient (Step × dy), the optimizer's updates, with any broadcast of tfjs's rules.
 */
import { backend_util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { int32, isF32, nativeKernel, sizeOf, stridesOf } from './util.js';

/** Codes of native/elementwise.cc. */
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 } as const;
const UNARY = {
  Relu: 0,
  Relu6: 1,
  Step: 2,
  Neg: 3,
  Exp: 4,
  Log: 5,
  Sqrt: 6,
  Rsqrt: 7,
  Square: 8,
  Abs: 9,
  Sigmoid: 10,
  Tanh: 11,
  Reciprocal: 12,
} as const;

/**
 * A broadcast as strides over the output's axes (0 where an operand repeats), with adjacent axes
 * merged while both operands stay regular across them: [128, 32, 32, 16] + [16] becomes
 * [131072, 16] with strides [16, 1] and [0, 1]. Undefined above rank 6 after merging.
 */
export function broadcastStrides(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): { dims: number[]; a: number[]; b: number[] } | undefined {
  const rank = outShape.length;
  const strides = (shape: readonly number[]) => {
    const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    const dense = stridesOf(padded);
    return padded.map((d, i) => (d === 1 && outShape[i] !== 1 ? 0 : dense[i]!));
  };
  const sa = strides(aShape);
  const sb = strides(bShape);
  const dims: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    // Merge axis i into the previous one when, for each operand, stepping the previous axis equals
    // stepping d times along this one.
    if (last >= 0 && a[last] === sa[i]! * d && b[last] === sb[i]! * d) {
      dims[last] = dims[last]! * d;
      a[last] = sa[i]!;
      b[last] = sb[i]!;
    } else {
      dims.push(d);
      a.push(sa[i]!);
      b.push(sb[i]!);
    }
  }
  if (dims.length === 0) return { dims: [1], a: [0], b: [0] };
  if (dims.length > 6) return undefined;
  // The vector loop runs along the last axis: it must be dense or repeated for each operand.
  if (a[a.length - 1]! > 1 || b[b.length - 1]! > 1) return undefined;
  return { dims, a, b };
}

function binary(name: keyof typeof BINARY) {
  return nativeKernel(name, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (!isF32(a, b)) return undefined;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (sizeOf(outShape) === 0) return undefined;
    const view = broadcastStrides(a.shape, b.shape, outShape);
    if (!view) return undefined;
    const out = backend.makeFloat32(outShape);
    backend.addon.binary(BINARY[name], int32(view.dims), int32(view.a), backend.f32(a), int32(view.b), backend.f32(b), out.values);
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

/** @resnet/core's residual addition + ReLU (blocks/add_relu.ts) and the gradient it registers. */
export const addReluConfig = nativeKernel('ResNetAddRelu', ({ inputs, backend }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  if (!isF32(a, b) || a.shape.join() !== b.shape.join())
    throw new Error(
      `onednn: ResNetAddRelu needs two float32 tensors of one shape, got ${a.dtype} [${a.shape.join(', ')}] and ${b.dtype} [${b.shape.join(', ')}]`,
    );
  const y = backend.makeFloat32([...a.shape]);
  backend.addon.addRelu(backend.f32(a), backend.f32(b), y.values);
  return y.info;
});

export const reluGradConfig = nativeKernel('ResNetReluGrad', ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  if (!isF32(dy, y) || dy.shape.join() !== y.shape.join())
    throw new Error(`onednn: ResNetReluGrad needs float32 dy and y of one shape, got [${dy.shape.join(', ')}] and [${y.shape.join(', ')}]`);
  const dx = backend.makeFloat32([...y.shape]);
  backend.addon.reluGrad(backend.f32(dy), backend.f32(y), dx.values);
  return dx.info;
});
