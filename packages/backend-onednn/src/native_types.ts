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

export interface NativeAddon {
  info(): NativeInfo;
  setThreads(threads: number): void;
  release(key: number): void;
  clearCaches(): void;
  /** geometry: [N, H, W, C, KH, KW, OC, OH, OW, sH, sW, padTop, padLeft, padBottom, padRight, dH, dW] */
  conv2dForward(
    geometry: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    relu: boolean,
    weightsKey: number,
    training: boolean,
  ): void;
  conv2dBackwardData(geometry: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array, weightsKey: number): void;
  conv2dBackwardWeights(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** shape: [N, H, W, C] */
  /** yKey: the output's tensor key, under which a fused ReLU's workspace is kept for the gradient (−1: none). */
  batchNormTraining(
    shape: Int32Array,
    x: Float32Array,
    scale: Float32Array,
    offset: Float32Array,
    epsilon: number,
    relu: boolean,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    yKey: number,
  ): void;
  batchNormInference(
    shape: Int32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array,
    offset: Float32Array,
    epsilon: number,
    relu: boolean,
    y: Float32Array,
  ): void;
  batchNormTrainingGrad(
    shape: Int32Array,
    dy: Float32Array,
    x: Float32Array,
    scale: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    y: Float32Array | null,
    epsilon: number,
    dx: Float32Array,
    dScale: Float32Array,
    dOffset: Float32Array,
    yKey: number,
  ): void;
  /** geometry: [N, H, W, C, KH, KW, OH, OW, sH, sW, padTop, padLeft, padBottom, padRight] */
  poolForward(geometry: Int32Array, max: boolean, x: Float32Array, y: Float32Array): void;
  maxPoolBackward(geometry: Int32Array, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  avgPoolBackward(geometry: Int32Array, dy: Float32Array, dx: Float32Array): void;
  /** dims: the output's (rank 1..6); each operand's strides are 0 where it is broadcast. */
  binary(
    op: number,
    dims: Int32Array,
    aStrides: Int32Array,
    a: Float32Array,
    bStrides: Int32Array,
    b: Float32Array,
    out: Float32Array,
  ): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number, beta: number): void;
  copyStrided(
    dims: Int32Array,
    srcStrides: Int32Array,
    srcOffset: number,
    src: Float32Array | Int32Array,
    dstStrides: Int32Array,
    dstOffset: number,
    dst: Float32Array | Int32Array,
  ): void;
  fill(array: Float32Array, value: number): void;
  addRelu(a: Float32Array, b: Float32Array, y: Float32Array): void;
  reluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array): void;
  sgdMomentum(
    variable: Float32Array,
    velocity: Float32Array,
    gradient: Float32Array,
    learningRate: number,
    momentum: number,
    weightDecay: number,
    velocityOut: Float32Array,
    variableOut: Float32Array,
  ): void;
  /** view: [outer, reduced, inner] */
  reduce(op: number, view: Int32Array, x: Float32Array, out: Float32Array): void;
  /** view: [batch, m, n, k, transposeA, transposeB, aBatchStride, bBatchStride] */
  batchMatMul(view: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array, bias: Float32Array | null, relu: boolean): void;
}
