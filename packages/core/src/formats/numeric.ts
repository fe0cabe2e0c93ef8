/**
 * Numeric element types shared by the file formats (safetensors, .npy): byte order, and conversion of
 * raw elements to float32. Each format maps its own dtype names onto `NumericType`.
 */

export type NumericType =
  | 'f16'
  | 'bf16'
  | 'f32'
  | 'f64'
  | 'f8e5m2'
  | 'f8e4m3'
  | 'i8'
  | 'i16'
  | 'i32'
  | 'i64'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'bool';

/** True on little-endian hosts (all mainstream ones). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Bytes holding `bytes`' elements in host byte order at an offset aligned to `itemSize`, so a typed
 * array can view them: the input itself when it already qualifies, otherwise a copy (byte-swapped
 * when the stored order differs from the host's).
 */
export function hostOrderBytes(bytes: Uint8Array, itemSize: number, littleEndian: boolean): Uint8Array {
  const swap = itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  if (!swap) return bytes.byteOffset % itemSize === 0 ? bytes : bytes.slice();
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += itemSize) {
    for (let j = 0; j < itemSize; j++) out[i + j] = bytes[i + itemSize - 1 - j] as number;
  }
  return out;
}

let float16Table: Float32Array | undefined;

/** Float32 value of every IEEE 754 binary16 bit pattern (built on first use, 256 KiB). */
export function float16Lookup(): Float32Array {
  if (float16Table) return float16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  float16Table = table;
  return table;
}

/** Float32 value of an IEEE 754 binary16 bit pattern, e.g. 0x3C00 → 1. */
export function float16BitsToNumber(bits: number): number {
  return float16Lookup()[bits & 0xffff] as number;
}

/** Float value of an OCP FP8 E4M3 ("FN": no infinities, 0x7F/0xFF are NaN) byte. */
function float8e4m3ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exponent = (byte >> 3) & 0xf;
  const mantissa = byte & 0x7;
  if (exponent === 15 && mantissa === 7) return NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9;
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}

/**
 * `count` elements of `type` stored in `bytes` (in the given byte order) as float32. 64-bit integers
 * beyond 2^24 are rounded, as any float32 conversion must. Aligned little-endian f32 data comes back
 * as a view sharing memory with `bytes`; every other case returns a fresh array.
 */
export function decodeToFloat32(
  bytes: Uint8Array,
  type: NumericType,
  itemSize: number,
  littleEndian: boolean,
  count: number,
): Float32Array {
  const raw = hostOrderBytes(bytes, itemSize, littleEndian);
  const { buffer, byteOffset } = raw;
  const map = (get: (i: number) => number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = get(i);
    return out;
  };
  switch (type) {
    case 'f32':
      return new Float32Array(buffer, byteOffset, count);
    case 'f64':
      return Float32Array.from(new Float64Array(buffer, byteOffset, count));
    case 'f16': {
      const table = float16Lookup();
      const src = new Uint16Array(buffer, byteOffset, count);
      return map((i) => table[src[i] as number] as number);
    }
    case 'bf16': {
      // bfloat16 is the top half of a float32: shift the bits up and reinterpret.
      const src = new Uint16Array(buffer, byteOffset, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = (src[i] as number) << 16;
      return out;
    }
    case 'f8e5m2': {
      // E5M2 is the top byte of a binary16.
      const table = float16Lookup();
      return map((i) => table[(raw[i] as number) << 8] as number);
    }
    case 'f8e4m3':
      return map((i) => float8e4m3ToNumber(raw[i] as number));
    case 'i64':
    case 'u64': {
      const src = type === 'i64' ? new BigInt64Array(buffer, byteOffset, count) : new BigUint64Array(buffer, byteOffset, count);
      return map((i) => Number(src[i]));
    }
    case 'i32':
      return Float32Array.from(new Int32Array(buffer, byteOffset, count));
    case 'u32':
      return Float32Array.from(new Uint32Array(buffer, byteOffset, count));
    case 'i16':
      return Float32Array.from(new Int16Array(buffer, byteOffset, count));
    case 'u16':
      return Float32Array.from(new Uint16Array(buffer, byteOffset, count));
    case 'i8':
      return Float32Array.from(new Int8Array(buffer, byteOffset, count));
    case 'u8':
      return Float32Array.from(raw.subarray(0, count));
    case 'bool':
      return map((i) => (raw[i] ? 1 : 0));
  }
}
