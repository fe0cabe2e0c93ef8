/**
 * MaxPoolGrad for wasm, replacing tfjs-backend-wasm 4.22's own, which is wrong: its C++ starts each
 * window's maximum at `std::numeric_limits<float>::min()`, the smallest *positive* float, so a
 * window whose values are all ≤ 0 finds no maximum and its gradient is lost (measured: 44 of
 * 65,536 gradients wrong for a random 2×64×64×8 input with the ImageNet stem's 3×3/2 pool). In a
 * ResNet the pool follows a ReLU, whose gradient happens to zero exactly those positions, but the
 * kernel serves every model. This one routes each window's gradient to its first maximum in
 * row-major order, as the cpu backend does, reading the heap directly: per output pixel, the
 * channels are the inner loop, so memory is read in order.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { expectFloat32, expectShape, WASM } from './kernel_utils.js';

const NAME = 'MaxPoolGrad';

export const maxPoolGrad: KernelFunc = (args) => {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  const backend = args.backend as BackendWasm;
  expectFloat32(NAME, 'input', input);
  expectFloat32(NAME, 'dy', dy);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  expectShape(NAME, 'dy', dy.shape, info.outShape);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const {
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    effectiveFilterHeight: kh,
    effectiveFilterWidth: kw,
  } = info;
  const { top, left } = info.padInfo;

  const dx = backend.makeOutput(input.shape, 'float32');
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0); // the heap is reused: the new buffer holds old data
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let z = 0; z < ow; z++) {
        best.fill(-Infinity);
        at.fill(-1);
        for (let i = 0; i < kh; i += dh) {
          const row = y * sh - top + i;
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < kw; j += dw) {
            const col = z * sw - left + j;
            if (col < 0 || col >= w) continue;
            const base = ((b * h + row) * w + col) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k]!;
              // Strictly greater: the first maximum wins, as in tfjs-backend-cpu; NaN never does.
              if (v > best[k]!) {
                best[k] = v;
                at[k] = base + k;
              }
            }
          }
        }
        const from = ((b * oh + y) * ow + z) * c;
        for (let k = 0; k < c; k++) {
          const to = at[k]!;
          if (to >= 0) out[to] = out[to]! + g[from + k]!;
        }
      }
    }
  }
  return dx;
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: maxPoolGrad,
};
