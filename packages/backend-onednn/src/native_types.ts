/**
 * The addon's functions (native/*.cc), as the kernels call them. Every array's length is checked
 * again on the native side against the shape it is given; the kernels check shapes and dtypes first.
 */
export interface NativeInfo {
  /** oneDNN's version, e.g. "2.6.3". */
  readonly version: string;
  readonly hash: string;
  /** The instruction set oneDNN's kernels dispatch to here, e.g. "avx512_core". */
  readonly isa: string;
  readonly threads: number;
  /** Weight tensors held in oneDNN's layouts (released when tfjs disposes them). */
  readonly cachedWeights: number;
  /** Batch-norm ReLU workspaces held for outputs still alive. */
  readonly workspaces: number;
}

type F32 = Float32Array;

export interface NativeAddon {
  info(): NativeInfo;
  setThreads(threads: number): void;
  release(key: number): void;
  clearCaches(): void;
  /** geometry: [N, H, W, C, KH, KW, OC, OH, OW, sH, sW, padTop, padLeft, padBottom, padRight, dH, dW] */
  conv2dForward(geometry: Int32Array, x: F32, filter: F32, bias: F32 | null, y: F32, relu: boolean, weightsKey: number, training: boolean): void;
  conv2dBackwardData(geometry: Int32Array, dy: F32, filter: F32, dx: F32, weightsKey: number): void;
  conv2dBackwardWeights(geometry: Int32Array, x: F32, dy: F32, dw: F32): void;
  /** shape: [N, H, W, C] */
  /** yKey: the output's tensor key, under which a fused ReLU's workspace is kept for the gradient (−1: none). */
  batchNormTraining(shape: Int32Array, x: F32, scale: F32, offset: F32, epsilon: number, relu: boolean, y: F32, mean: F32, variance: F32, yKey: number): void;
  batchNormInference(shape: Int32Array, x: F32, mean: F32, variance: F32, scale: F32, offset: F32, epsilon: number, relu: boolean, y: F32): void;
  batchNormTrainingGrad(shape: Int32Array, dy: F32, x: F32, scale: F32, mean: F32, variance: F32, y: F32 | null, epsilon: number, dx: F32, dScale: F32, dOffset: F32, yKey: number): void;
  /** geometry: [N, H, W, C, KH, KW, OH, OW, sH, sW, padTop, padLeft, padBottom, padRight] */
  poolForward(geometry: Int32Array, max: boolean, x: F32, y: F32): void;
  maxPoolBackward(geometry: Int32Array, dy: F32, x: F32, dx: F32): void;
  avgPoolBackward(geometry: Int32Array, dy: F32, dx: F32): void;
  /** dims: the output's (rank 1..6); each operand's strides are 0 where it is broadcast. */
  binary(op: number, dims: Int32Array, aStrides: Int32Array, a: F32, bStrides: Int32Array, b: F32, out: F32): void;
  unary(op: number, x: F32, y: F32, alpha: number, beta: number): void;
  copyStrided(dims: Int32Array, srcStrides: Int32Array, srcOffset: number, src: F32 | Int32Array, dstStrides: Int32Array, dstOffset: number, dst: F32 | Int32Array): void;
  fill(array: F32, value: number): void;
  addRelu(a: F32, b: F32, y: F32): void;
  reluGrad(dy: F32, y: F32, dx: F32): void;
  sgdMomentum(variable: F32, velocity: F32, gradient: F32, learningRate: number, momentum: number, weightDecay: number, velocityOut: F32, variableOut: F32): void;
  /** view: [outer, reduced, inner] */
  reduce(op: number, view: Int32Array, x: F32, out: F32): void;
  /** view: [batch, m, n, k, transposeA, transposeB, aBatchStride, bBatchStride] */
  batchMatMul(view: Int32Array, a: F32, b: F32, out: F32, bias: F32 | null, relu: boolean): void;
}
