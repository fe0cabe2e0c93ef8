// File-format codecs: pure TypeScript over Uint8Array, usable in browsers and Node alike.
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  parseSafetensors,
  safetensorsDtypeBytes,
  serializeSafetensors,
  toFloat32,
} from './safetensors.js';
export type { SafetensorsDtype, SafetensorsFile, SafetensorsInput, SafetensorsTensor } from './safetensors.js';
export { float16BitsToNumber, type NumericType } from './numeric.js';
export { formatNpyShape, parseNpy, serializeNpy } from './npy.js';
export type { NpyArray } from './npy.js';
