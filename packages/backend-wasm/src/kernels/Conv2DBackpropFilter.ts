/**
 * Conv2DBackpropFilter for wasm, which tfjs-backend-wasm 4.22 does not have: without it no convnet
 * trains on wasm (the gradient of every conv2d weight).
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} Xpad[n, oh·s + kh, ow·s + kw, ci] · dY[n, oh, ow, co]
 *
 * is itself a convolution, run on XNNPACK through the wasm Conv2D kernel: swap the batch and channel
 * axes, so that the input is Xᵀ = [Cin, H, W, N] (Cin "images" of N channels), the filter is
 * dYᵀ = [OH, OW, N, Cout] with dilation s (the forward stride), and the output is
 * [Cin, KH, KW, Cout], transposed to HWIO. Measured on ResNet-20's layers at batch 32 it is 4–6×
 * faster than k² strided slices each multiplied with dY, and 6–10× faster than im2col with one
 * matmul (see the package README), because the k² copies of the input never exist.
 *
 * When the package's C module is loaded, float32 NHWC gradients with a multiple of 8 output channels
 * (every ResNet layer) run in csrc/conv_filter.c instead: a GEMM over the pixels on the pool's
 * threads, with no transposes (bench/conv2d.mjs measures both).
 */
import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkStatus, offsetOf, ownKernelsOf, withScratch, type OwnKernels } from '../own_kernels.js';
import { Scratch, TO_NHWC, WASM, dataFormatOf, expectFloat32, expectShape, pad, transpose } from './kernel_utils.js';

const NAME = 'Conv2DBackpropFilter';

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as KernelBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad: padding, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  expectFloat32(NAME, 'x', x);
  expectFloat32(NAME, 'dy', dy);
  const format = dataFormatOf(dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    padding,
    dimRoundingMode,
    false,
    format,
  );
  expectShape(NAME, 'dy', dy.shape, info.outShape);
  const { inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const own = ownKernelsOf(backend);
  if (own && format === 'channelsLast' && cout % 8 === 0 && top >= 0 && left >= 0)
    return ownConv2DBackpropFilter(backend as unknown as BackendWasm, own, x, dy, info);

  const s = new Scratch(backend);
  try {
    const xNhwc = format === 'channelsFirst' ? transpose(s, x, TO_NHWC) : x;
    const dyNhwc = format === 'channelsFirst' ? transpose(s, dy, TO_NHWC) : dy;
    // Rows of the padded input the taps reach: (OH−1)·s + KH. The input is padded below to that.
    // When 'valid' or a rounding mode leaves trailing rows unused (1×1 stride-2 projections on even
    // sizes), the bottom padding would be negative: add zero taps to dY instead of cropping X, which
    // is larger and whose crop (the Slice kernel) runs in JavaScript.
    const rows = fit(h, top, oh, sh, kh);
    const cols = fit(w, left, ow, sw, kw);
    const dyFull = pad(s, dyNhwc, [
      [0, 0],
      [0, rows.extraTaps],
      [0, cols.extraTaps],
      [0, 0],
    ]);
    const xT = transpose(s, xNhwc, [3, 1, 2, 0]); // [Cin, H, W, N]
    const dyT = transpose(s, dyFull, [1, 2, 0, 3]); // [OH', OW', N, Cout]: the filter
    const grad = s.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [top, rows.bottom],
          [left, cols.bottom],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    ); // [Cin, KH, KW, Cout]
    expectShape(NAME, 'the inner convolution', grad.shape, [cin, kh, kw, cout]);
    return s.keep(transpose(s, grad, [1, 2, 0, 3])); // [KH, KW, Cin, Cout]
  } finally {
    s.dispose();
  }
};

/** csrc/conv_filter.c's conv2d_filter_nhwc: dW [KH, KW, Cin, Cout] of NHWC x and dY. */
export function ownConv2DBackpropFilter(
  backend: BackendWasm,
  own: OwnKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { exports } = own;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const dw = backend.makeOutput([kh, kw, cin, cout], 'float32');
  const bytes = exports.conv2d_filter_scratch_bytes(n, oh, ow, kh, kw, cin, cout);
  try {
    withScratch(backend, bytes, (scratch) =>
      checkStatus(
        NAME,
        exports.conv2d_filter_nhwc(
          own.job,
          offsetOf(backend, x),
          n,
          h,
          w,
          cin,
          offsetOf(backend, dy),
          oh,
          ow,
          cout,
          kh,
          kw,
          info.strideHeight,
          info.strideWidth,
          info.padInfo.top,
          info.padInfo.left,
          offsetOf(backend, dw),
          scratch,
          bytes,
        ),
      ),
    );
  } catch (e) {
    backend.disposeData(dw.dataId);
    throw e;
  }
  return dw;
}

/**
 * Padding after the input (`bottom`, ≥ 0) and zero taps after dY (`extraTaps`) so that a dilated
 * correlation of the padded input with the (OH + extraTaps) taps of dY spans exactly KH outputs.
 */
function fit(size: number, before: number, outSize: number, stride: number, kernel: number): { bottom: number; extraTaps: number } {
  const bottom = (outSize - 1) * stride + kernel - size - before;
  if (bottom >= 0) return { bottom, extraTaps: 0 };
  const extraTaps = Math.ceil(-bottom / stride);
  return { bottom: bottom + extraTaps * stride, extraTaps };
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter,
};
