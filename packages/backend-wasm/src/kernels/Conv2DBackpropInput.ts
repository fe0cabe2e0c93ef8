/**
 * Conv2DBackpropInput for wasm, replacing tfjs-backend-wasm 4.22's own: that one is a plain C++ loop
 * (no XNNPACK, no SIMD) and measured 8–14× slower than the forward convolution of the same layer
 * (ResNet-20 at batch 32: 85 ms against 7 ms), a quarter of a training step.
 *
 * The input gradient is a transposed convolution. For stride 1 it is a plain convolution of dY with
 * the filter flipped in space and with its channel axes swapped:
 *
 *   dX[n, i, j, ci] = Σ_{a, b, co} dYpad[n, i + a, j + b, co] · W[KH−1−a, KW−1−b, ci, co]
 *
 * with dY padded by KH−1−top above (KW−1−left on the left). For stride s, dY first gets s−1 zeros
 * after every row and column (a reshape, a pad and a reshape), and the same stride-1 convolution
 * follows. That spends s² more multiply-adds than needed on the (few) strided layers, but runs on
 * XNNPACK and is still 2–3× faster than the loop there.
 *
 * When the package's C module is loaded, that convolution runs in csrc/conv.c on the pool's
 * threads, which reads the filter flipped and transposed as it packs it (no Reverse, no Transpose),
 * and strided layers skip the zero insertion: csrc/conv_input.c scatters each dY pixel's products
 * into the dX rows its taps reach, a quarter of the work at stride 2.
 */
import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkStatus, offsetOf, ownKernelsOf, withScratch, type OwnKernels } from '../own_kernels.js';
import { ownConv2D } from './Conv2D.js';
import {
  Scratch,
  TO_NCHW,
  TO_NHWC,
  WASM,
  dataFormatOf,
  expectFloat32,
  expectShape,
  pad,
  reshape,
  slice,
  transpose,
} from './kernel_utils.js';

const NAME = 'Conv2DBackpropInput';

export const conv2DBackpropInput: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as KernelBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad: padding, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  expectFloat32(NAME, 'dy', dy);
  expectFloat32(NAME, 'filter', filter);
  if (filter.shape.length !== 4)
    throw new Error(`${NAME}: filter must be rank 4 [KH, KW, Cin, Cout], got shape [${filter.shape.join(', ')}]`);
  const format = dataFormatOf(dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    padding,
    dimRoundingMode,
    false,
    format,
  );
  expectShape(NAME, 'dy', dy.shape, info.outShape);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (filter.shape[2] !== cin)
    throw new Error(`${NAME}: filter has ${filter.shape[2]} input channels, inputShape [${inputShape.join(', ')}] has ${cin}`);

  const s = new Scratch(backend);
  try {
    let d = format === 'channelsFirst' ? transpose(s, dy, TO_NHWC) : dy;
    const own = ownKernelsOf(backend);
    if (own && (sh > 1 || sw > 1) && info.padInfo.top >= 0 && info.padInfo.left >= 0) {
      // csrc/conv_input.c: only the products that exist, no zeros inserted.
      const dx = s.hold(ownConv2DBackpropInputStrided(backend as unknown as BackendWasm, own, d, filter, info));
      return s.keep(format === 'channelsFirst' ? transpose(s, dx, TO_NCHW) : dx);
    }
    if (sh > 1 || sw > 1) {
      // Zero insertion: [N, OH, 1, OW, 1, C] padded to [N, OH, sh, OW, sw, C] is dY with sh−1 zero
      // rows after each row and sw−1 zero columns after each column.
      const spread = pad(s, reshape(s, d, [n, oh, 1, ow, 1, cout]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      d = reshape(s, spread, [n, oh * sh, ow * sw, cout]);
    }
    const rows = border(h, kh, info.padInfo.top, d.shape[1]!);
    const cols = border(w, kw, info.padInfo.left, d.shape[2]!);
    // Negative borders (explicit padding wider than the kernel, or trailing zeros of the insertion
    // that no input position reaches) crop dY instead; ResNets never need this.
    d = slice(
      s,
      d,
      [0, rows.crop[0], cols.crop[0], 0],
      [n, d.shape[1]! - rows.crop[0] - rows.crop[1], d.shape[2]! - cols.crop[0] - cols.crop[1], cout],
    );
    const inner = backend_util.computeConv2DInfo(
      d.shape as [number, number, number, number],
      [kh, kw, cout, cin],
      1,
      1,
      [[0, 0], rows.pad, cols.pad, [0, 0]] as unknown as backend_util.ExplicitPadding,
      undefined,
      false,
      'channelsLast',
    );
    let dx: TensorInfo;
    if (own) {
      // csrc/conv.c reads the forward filter flipped and transposed as it packs it.
      dx = s.hold(ownConv2D(backend as unknown as BackendWasm, own, d, filter, inner, { transposed: true }, NAME));
    } else {
      // W[KH−1−a, KW−1−b, ci, co] as a filter [KH, KW, Cout, Cin].
      const flipped = transpose(s, s.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
      dx = s.run(
        'Conv2D',
        { x: d, filter: flipped },
        { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], rows.pad, cols.pad, [0, 0]], dataFormat: 'NHWC' },
      );
    }
    expectShape(NAME, 'the inner convolution', dx.shape, [n, h, w, cin]);
    return s.keep(format === 'channelsFirst' ? transpose(s, dx, TO_NCHW) : dx);
  } finally {
    s.dispose();
  }
};

/** csrc/conv_input.c's conv2d_input_nhwc: dX [N, H, W, Cin] of NHWC dY and the HWIO filter. */
export function ownConv2DBackpropInputStrided(
  backend: BackendWasm,
  own: OwnKernels,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { exports } = own;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const dx = backend.makeOutput([n, h, w, cin], 'float32');
  const bytes = exports.conv2d_input_scratch_bytes(kh, kw, cin, cout);
  try {
    withScratch(backend, bytes, (scratch) =>
      checkStatus(
        NAME,
        exports.conv2d_input_nhwc(
          own.job,
          offsetOf(backend, dy),
          n,
          oh,
          ow,
          cout,
          offsetOf(backend, filter),
          kh,
          kw,
          cin,
          info.strideHeight,
          info.strideWidth,
          info.padInfo.top,
          info.padInfo.left,
          h,
          w,
          offsetOf(backend, dx),
          scratch,
          bytes,
        ),
      ),
    );
  } catch (e) {
    backend.disposeData(dx.dataId);
    throw e;
  }
  return dx;
}

/**
 * Padding before and after the (zero-inserted) dY of length `length` so that a stride-1 correlation
 * with a `kernel`-long filter yields `size` outputs; the negative parts are returned as a crop.
 */
function border(size: number, kernel: number, before: number, length: number): { pad: [number, number]; crop: [number, number] } {
  const first = kernel - 1 - before;
  const last = size + kernel - 1 - length - first;
  return { pad: [Math.max(0, first), Math.max(0, last)], crop: [Math.max(0, -first), Math.max(0, -last)] };
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput,
};
