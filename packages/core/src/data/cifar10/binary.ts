/**
 * The CIFAR-10 binary format: a batch file is a run of 3073-byte records, each a label byte (0…9)
 * followed by the 32×32 image as three planes (all red bytes, then green, then blue; rows top to
 * bottom). The trainer wants NHWC, so records are interleaved into pixel-major order here, once,
 * when the file is read; several batch files decode straight into one array (no 150 MB copy).
 */
import { ResNetError } from '../../errors.js';
import type { ImageArray } from '../array_dataset.js';
import { CIFAR10_CHANNELS, CIFAR10_CLASS_NAMES, CIFAR10_HEIGHT, CIFAR10_RECORD_BYTES, CIFAR10_WIDTH } from './constants.js';

/** A batch file's name (for messages) and its bytes. */
export interface Cifar10Batch {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const PLANE = CIFAR10_HEIGHT * CIFAR10_WIDTH;
const IMAGE = PLANE * CIFAR10_CHANNELS;

/** The number of records in a batch file, or a ResNetError naming the file and what was expected. */
export function cifar10RecordCount(bytes: Uint8Array, name: string): number {
  const format = `records of ${CIFAR10_RECORD_BYTES} bytes (1 label byte + ${IMAGE} pixel bytes) from the binary version of CIFAR-10`;
  if (bytes.length === 0) throw new ResNetError(`cifar10: ${name} is empty, expected ${format}`);
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new ResNetError(
      `cifar10: ${name} has ${bytes.length} bytes, not a multiple of ${CIFAR10_RECORD_BYTES}: expected ${format} ` +
        `(${whole} whole records and ${bytes.length - whole * CIFAR10_RECORD_BYTES} bytes left over: truncated, or not a CIFAR-10 binary batch)`,
    );
  }
  return bytes.length / CIFAR10_RECORD_BYTES;
}

/** Decodes one batch file (e.g. `data_batch_1.bin`) into NHWC uint8 images and int32 labels. */
export function parseCifar10Batch(bytes: Uint8Array, name = 'CIFAR-10 batch'): ImageArray {
  return parseCifar10Batches([{ name, bytes }]);
}

/** Decodes several batch files, in order, into one array (the five training batches → 50k images). */
export function parseCifar10Batches(batches: readonly Cifar10Batch[]): ImageArray {
  const counts = batches.map((b) => cifar10RecordCount(b.bytes, b.name));
  const count = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(count * IMAGE);
  const labels = new Int32Array(count);
  let n = 0;
  batches.forEach(({ name, bytes }, b) => {
    for (let r = 0; r < counts[b]!; r++, n++) {
      const at = r * CIFAR10_RECORD_BYTES;
      const label = bytes[at]!;
      if (label >= CIFAR10_CLASS_NAMES.length) {
        throw new ResNetError(
          `cifar10: ${name}: record ${r} (byte ${at}) has label ${label}, expected 0…${CIFAR10_CLASS_NAMES.length - 1}`,
        );
      }
      labels[n] = label;
      // CHW → HWC: pixel p's channel c sits at plane c, offset p.
      const src = at + 1;
      const dst = n * IMAGE;
      for (let p = 0; p < PLANE; p++) {
        const o = dst + p * CIFAR10_CHANNELS;
        images[o] = bytes[src + p]!;
        images[o + 1] = bytes[src + PLANE + p]!;
        images[o + 2] = bytes[src + 2 * PLANE + p]!;
      }
    }
  });
  return { images, labels, count, height: CIFAR10_HEIGHT, width: CIFAR10_WIDTH, channels: CIFAR10_CHANNELS };
}
