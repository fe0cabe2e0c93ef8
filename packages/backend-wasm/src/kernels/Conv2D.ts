/**
 * Conv2D forward in C (csrc/conv.c: 4×8 register tiles over NHWC, the input read in place, no
 * im2col buffer) for the float32 NHWC, dilation-1 convolutions where it beats tfjs-backend-wasm's
 * XNNPACK (of January 2022) as measured per layer shape (`prefersOwnConv2D`, bench/conv2d.mjs);
 * every other convolution goes to the shipped kernel, captured here before
 * `registerTrainingKernels` replaces it. The C kernel runs on the calling thread only, so it only
 * competes with XNNPACK on one thread (the single-threaded build: `setThreadsCount(1)`, and
 * browsers on 2-core machines, where tfjs runs hardwareConcurrency / 2 threads).
 */
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, getKernel, type Conv2DAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { checkStatus, offsetOf, ownKernelsOf, type OwnKernels } from '../own_kernels.js';
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

/** Runs csrc/conv.c's conv2d_nhwc on the heap. */
export function ownConv2D(
  backend: BackendWasm,
  own: OwnKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { exports } = own;
  const out = backend.makeOutput([...info.outShape], 'float32');
  const bytes = exports.conv2d_scratch_bytes(info.filterHeight, info.filterWidth, info.inChannels, info.outChannels);
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(at: number): void };
  const scratch = heap._malloc(Math.max(16, bytes)) >>> 0;
  try {
    if (scratch === 0) throw new Error(`${NAME}: could not allocate ${bytes} bytes of scratch on the wasm heap`);
    checkStatus(
      NAME,
      exports.conv2d_nhwc(
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
        offsetOf(backend, out),
        scratch,
        bytes,
      ),
    );
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (scratch !== 0) heap._free(scratch);
  }
  return out;
}

/**
 * The layer shapes (per image: input H×W×Cin, filter KH×KW → Cout, stride, padding top/left, as
 * @resnet/core's conv_bn.ts pads: 1 on every side for 3×3) where the C kernel measured faster than
 * XNNPACK on one thread: ResNet-20's 3×3 convolutions after the stem. bench/conv2d.mjs at batch 128,
 * four one-thread runs of this kernel on a 2-core machine shared with other work, XNNPACK's time
 * over ours: 1.13–1.15× (one noisy run 0.95×) with 16 input channels, 1.19× (0.96×) for the first
 * stride-2 layer, 1.23–1.32× (1.02–1.07×) with 32 and 64; ours at 35–45 GFLOP/s. The stem (3 input
 * channels, 27 taps of 3) is 0.63–0.7× and stays with XNNPACK, as does every other shape (not
 * measured) and everything on two threads or more, where XNNPACK's second thread wins whenever a
 * core is free (stages 2–3 then took XNNPACK ~10 ms against our 13–14).
 */
const FASTER_ON_ONE_THREAD: readonly string[] = [
  '32×32×16 3×3→16 /1 pad 1,1',
  '32×32×16 3×3→32 /2 pad 1,1',
  '16×16×32 3×3→32 /1 pad 1,1',
  '16×16×32 3×3→64 /2 pad 1,1',
  '8×8×64 3×3→64 /1 pad 1,1',
];

function shapeKey(info: backend_util.Conv2DInfo): string {
  const stride = info.strideHeight === info.strideWidth ? `${info.strideHeight}` : `${info.strideHeight},${info.strideWidth}`;
  return `${info.inHeight}×${info.inWidth}×${info.inChannels} ${info.filterHeight}×${info.filterWidth}→${info.outChannels} /${stride} pad ${info.padInfo.top},${info.padInfo.left}`;
}

/** Whether the C kernel is the faster one for this convolution with `threads` XNNPACK threads. */
export function prefersOwnConv2D(info: backend_util.Conv2DInfo, threads: number): boolean {
  return threads === 1 && FASTER_ON_ONE_THREAD.includes(shapeKey(info));
}

export const conv2D: KernelFunc = (args) => {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const backend = args.backend as BackendWasm;
  const own = ownKernelsOf(backend);
  const info = own ? ownConv2DInfo(x, filter, args.attrs as unknown as Conv2DAttrs) : undefined;
  if (own && info && prefersOwnConv2D(info, getThreadsCount())) return ownConv2D(backend, own, x, filter, info);
  if (!shipped) throw new Error(`${NAME}: tfjs-backend-wasm's Conv2D kernel was not registered`);
  return shipped.kernelFunc(args);
};

export const shippedConv2D = shipped;

export const conv2DConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: conv2D,
  ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
};
