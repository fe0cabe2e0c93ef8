/**
 * Conv2D forward in C (csrc/conv.c: 4×8 register tiles over NHWC, the input read in place, no
 * im2col buffer) for the float32 NHWC, dilation-1 convolutions where it beats tfjs-backend-wasm's
 * XNNPACK (of January 2022) as measured per layer shape (`prefersOwnConv2D`, bench/conv2d.mjs);
 * every other convolution goes to the shipped kernel, captured here before
 * `registerTrainingKernels` replaces it. The C kernel splits its output pixels over the package's
 * thread pool (csrc/pool.c), as many threads as XNNPACK runs. `FusedConv2D` (the folded inference
 * of @resnet/core's fold_bn.ts: bias and ReLU) takes the same path with the epilogue in C.
 */
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, getKernel, type Conv2DAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, keepPackedOnReuse, offsetOf, ownKernelsOf, type OwnKernels } from '../own_kernels.js';
import { WASM, dataFormatOf } from './kernel_utils.js';

const NAME = 'Conv2D';
const shipped = getKernel(NAME, WASM);

/** The convolution as the C kernel takes it, or undefined when it is not one it computes. */
export function ownConv2DInfo(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): backend_util.Conv2DInfo | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  if (dataFormatOf(attrs.dataFormat) !== 'channelsLast') return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  if (info.outShape.some((d) => !(d > 0)) || x.shape.some((d) => !(d > 0))) return undefined;
  if (info.padInfo.top < 0 || info.padInfo.left < 0) return undefined;
  return info;
}

/** What conv2d_nhwc adds to a plain convolution. */
export interface OwnConv2DOptions {
  /** A float32 [Cout] bias added to every output pixel (FusedConv2D). */
  bias?: TensorInfo;
  /** A ReLU after the bias (FusedConv2D's activation 'relu'). */
  relu?: boolean;
  /**
   * The filter is the forward one, [KH, KW, Cout, Cin] in this convolution's terms, of the
   * convolution whose input gradient this is: it is read flipped in space with its channel axes
   * swapped (Conv2DBackpropInput, stride 1).
   */
  transposed?: boolean;
}

/** Runs csrc/conv.c's conv2d_nhwc on the heap, on the pool's threads. */
export function ownConv2D(
  backend: BackendWasm,
  own: OwnKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  options: OwnConv2DOptions = {},
  kernel = NAME,
): TensorInfo {
  const { exports } = own;
  const out = backend.makeOutput([...info.outShape], 'float32');
  const bytes = exports.conv2d_scratch_bytes(info.filterHeight, info.filterWidth, info.inChannels, info.outChannels);
  // A filter used a second time (inference runs the same weights batch after batch; a training
  // step's weights are new each step) keeps its packed copy until tfjs frees it (own_kernels.ts).
  const pack = options.transposed ? undefined : own.packs.get(filter.dataId);
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(at: number): void };
  const prepacked = pack?.at !== undefined;
  const scratch = prepacked ? pack!.at! : heap._malloc(Math.max(16, bytes)) >>> 0;
  let keep = false;
  try {
    if (scratch === 0) throw new Error(`${kernel}: could not allocate ${bytes} bytes of scratch on the wasm heap`);
    checkStatus(
      kernel,
      exports.conv2d_nhwc(
        own.job,
        offsetOf(backend, x),
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        offsetOf(backend, filter),
        info.filterHeight,
        info.filterWidth,
        info.outChannels,
        info.strideHeight,
        info.strideWidth,
        info.padInfo.top,
        info.padInfo.left,
        info.outHeight,
        info.outWidth,
        options.bias ? offsetOf(backend, options.bias) : 0,
        options.relu ? 1 : 0,
        options.transposed ? 1 : 0,
        offsetOf(backend, out),
        scratch,
        bytes,
        prepacked ? 1 : 0,
      ),
    );
    if (!options.transposed && !prepacked) keep = keepPackedOnReuse(own, filter.dataId, 'at', scratch);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (!prepacked && !keep && scratch !== 0) heap._free(scratch);
  }
  return out;
}

/** Whether csrc/winograd.c computes this convolution: 3×3, stride 1, dilation 1, windows within 2 of the image, Cin a multiple of 4. */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels % 4 === 0 &&
    info.padInfo.top <= 2 &&
    info.padInfo.left <= 2
  );
}

/** Runs csrc/winograd.c's F(2×2, 3×3) convolution on the heap, on the pool's threads. */
export function ownWinogradConv2D(
  backend: BackendWasm,
  own: OwnKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  options: OwnConv2DOptions = {},
  kernel = NAME,
): TensorInfo {
  const { exports } = own;
  const { batchSize: n, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(at: number): void };
  const out = backend.makeOutput([...info.outShape], 'float32');
  // The filter transform is kept, as conv2d_nhwc's packing is, from the filter's second use.
  const pack = own.packs.get(filter.dataId);
  const uBytes = exports.winograd_filter_bytes(cin, cout);
  const cached = pack?.winograd !== undefined;
  const u = cached ? pack!.winograd! : heap._malloc(uBytes) >>> 0;
  const bytes = exports.winograd_scratch_bytes(n, oh, ow, cin, cout);
  const scratch = heap._malloc(Math.max(16, bytes)) >>> 0;
  let keep = false;
  try {
    if (u === 0 || scratch === 0) throw new Error(`${kernel}: could not allocate ${uBytes + bytes} bytes of scratch on the wasm heap`);
    if (!cached) checkStatus(kernel, exports.winograd_filter(offsetOf(backend, filter), cin, cout, u, uBytes));
    checkStatus(
      kernel,
      exports.winograd_conv3x3(
        own.job,
        offsetOf(backend, x),
        n,
        info.inHeight,
        info.inWidth,
        cin,
        u,
        cout,
        info.padInfo.top,
        info.padInfo.left,
        oh,
        ow,
        options.bias ? offsetOf(backend, options.bias) : 0,
        options.relu ? 1 : 0,
        offsetOf(backend, out),
        scratch,
        bytes,
      ),
    );
    if (!cached) keep = keepPackedOnReuse(own, filter.dataId, 'winograd', u);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (scratch !== 0) heap._free(scratch);
    if (!cached && !keep && u !== 0) heap._free(u);
  }
  return out;
}

/**
 * Whether the C kernel is the faster one for this convolution, with `threads` XNNPACK threads and
 * `ownThreads` threads in the package's pool (csrc/pool.c; fewer only when a worker failed to
 * start). Measured by bench/conv2d.mjs on ResNet-20's layers at batch 128 and ResNet-50's at batch
 * 8 (see the package README): with as many threads as XNNPACK, C is faster on every layer with 8
 * or more input channels; layers with fewer (the stems: 3 channels, 27 or 147 taps of 3) stay with
 * XNNPACK. With fewer threads than XNNPACK, XNNPACK's extra threads win.
 */
export function prefersOwnConv2D(info: backend_util.Conv2DInfo, threads: number, ownThreads: number): boolean {
  return ownThreads >= threads && info.inChannels >= 8;
}

/**
 * Whether F(2×2, 3×3) (csrc/winograd.c) beats the direct kernel here: measured per layer shape
 * (bench/winograd.mjs, 2 threads): faster from 64 input channels on (ResNet-20's stage 3: 1.4×;
 * ResNet-50's 3×3 layers: 1.5–2.0×), even at 32 (stage 2), slower at 16 (stage 1: 0.5×), where
 * its transforms cost more than the multiplications they save.
 */
export function prefersWinograd(info: backend_util.Conv2DInfo): boolean {
  return winogradApplies(info) && info.inChannels >= 64;
}

/** The C convolution, by Winograd where that is faster, else direct. */
export function runOwnConv2D(
  backend: BackendWasm,
  own: OwnKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  options: OwnConv2DOptions = {},
  kernel = NAME,
): TensorInfo {
  if (!options.transposed && prefersWinograd(info)) return ownWinogradConv2D(backend, own, x, filter, info, options, kernel);
  return ownConv2D(backend, own, x, filter, info, options, kernel);
}

export const conv2D: KernelFunc = (args) => {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const backend = args.backend as BackendWasm;
  const own = ownKernelsOf(backend);
  const info = own ? ownConv2DInfo(x, filter, args.attrs as unknown as Conv2DAttrs) : undefined;
  if (own && info && prefersOwnConv2D(info, getThreadsCount(), own.threads)) return runOwnConv2D(backend, own, x, filter, info);
  if (!shipped) throw new Error(`${NAME}: tfjs-backend-wasm's Conv2D kernel was not registered`);
  return shipped.kernelFunc(args);
};

export const shippedConv2D = shipped;

const FUSED = 'FusedConv2D';
const shippedFused = getKernel(FUSED, WASM);

/** tfjs's FusedConv2D: a convolution, a bias, an activation. The C kernel takes bias + ReLU or none. */
export const fusedConv2D: KernelFunc = (args) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs as unknown as Conv2DAttrs & { activation?: string };
  const backend = args.backend as BackendWasm;
  const own = ownKernelsOf(backend);
  const activation = attrs.activation ?? 'linear';
  const simple =
    (activation === 'linear' || activation === 'relu') &&
    preluActivationWeights == null &&
    (bias == null || (bias.dtype === 'float32' && bias.shape.length === 1));
  const info = own && simple && x && filter ? ownConv2DInfo(x, filter, attrs) : undefined;
  if (own && info && (bias == null || bias.shape[0] === info.outChannels) && prefersOwnConv2D(info, getThreadsCount(), own.threads))
    return runOwnConv2D(backend, own, x!, filter!, info, { ...(bias ? { bias } : {}), relu: activation === 'relu' }, FUSED);
  if (!shippedFused) throw new Error(`${FUSED}: tfjs-backend-wasm's FusedConv2D kernel was not registered`);
  return shippedFused.kernelFunc(args);
};

export const fusedConv2DConfig: KernelConfig = {
  kernelName: FUSED,
  backendName: WASM,
  kernelFunc: fusedConv2D,
  ...(shippedFused?.setupFunc ? { setupFunc: shippedFused.setupFunc } : {}),
};

export const conv2DConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: conv2D,
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
