/**
 * PyTorch checkpoints (`.pth`, `.pt`) as `torch.save` writes them since PyTorch 1.6: a ZIP archive
 * (zip.ts) holding `<name>/data.pkl`, a pickle of the saved object (pickle.ts, interpreted, never
 * executed), and one `<name>/data/<key>` entry per storage, in the byte order `<name>/byteorder`
 * gives. The saved object may be a state dict itself (torchvision's published weights), or a dict
 * that holds one under `state_dict` or `model` (training scripts' checkpoints); keys may carry the
 * `module.` prefix of `nn.DataParallel`, which importStateDict removes. Tensors of float32,
 * float16, bfloat16 and float64 are read as float32, int64 (BN's `num_batches_tracked`) as a number.
 */
import { ResNetError } from '../../errors.js';
import type { ResNet } from '../../model/resnet.js';
import { importStateDict, type ImportStateDictOptions, type TorchTensor } from '../state_dict.js';
import { PickleDict, unpickle, type PickleValue, type StorageDType, type TensorRef } from './pickle.js';
import { readZip, type ZipEntry } from './zip.js';

const ITEM_BYTES: Record<StorageDType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

function isTensor(v: PickleValue | undefined): v is TensorRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'tensor';
}

/** A float16 bit pattern as a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The storage's element i as a number. */
function reader(view: DataView, dtype: StorageDType, name: string): (i: number) => number {
  switch (dtype) {
    case 'float32':
      return (i) => view.getFloat32(4 * i, true);
    case 'float16':
      return (i) => halfToFloat(view.getUint16(2 * i, true));
    case 'bfloat16': {
      const word = new DataView(new ArrayBuffer(4));
      return (i) => (word.setUint32(0, view.getUint16(2 * i, true) << 16, true), word.getFloat32(0, true));
    }
    case 'float64':
      return (i) => view.getFloat64(8 * i, true);
    case 'int64':
      return (i) => Number(view.getBigInt64(8 * i, true));
    default:
      throw new ResNetError(
        `resnet: the checkpoint's tensor "${name}" is ${dtype}; a ResNet's weights are float32, float16, bfloat16 or float64`,
      );
  }
}

/** A tensor's values, in row-major order, read through its storage, offset and strides. */
function materialise(t: TensorRef, storages: ReadonlyMap<string, ZipEntry>, name: string, what: string): Float32Array {
  const entry = storages.get(t.storage.key);
  if (!entry)
    throw new ResNetError(
      `resnet: ${what} has no data for the tensor "${name}" (storage ${t.storage.key} is missing: the file is damaged)`,
    );
  const item = ITEM_BYTES[t.storage.dtype];
  if (entry.data.length < t.storage.numel * item)
    throw new ResNetError(
      `resnet: ${what}: the storage of "${name}" holds ${entry.data.length} bytes, ${t.storage.numel * item} expected (the file is damaged)`,
    );
  if (t.shape.length !== t.stride.length)
    throw new ResNetError(`resnet: ${what}: the tensor "${name}" has ${t.shape.length} sizes and ${t.stride.length} strides`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  // A state dict's tensors have no more elements than their storage (no broadcast strides): a file
  // that claims more is refused before anything that large is allocated.
  if (size > t.storage.numel)
    throw new ResNetError(`resnet: ${what}: the tensor "${name}" has ${size} elements but its storage holds ${t.storage.numel}`);
  // The last element's index must lie in the storage.
  const last = size === 0 ? t.offset : t.offset + t.shape.reduce((sum, d, i) => sum + (d - 1) * t.stride[i]!, 0);
  if (last >= Math.max(1, t.storage.numel) && size > 0)
    throw new ResNetError(`resnet: ${what}: the tensor "${name}" reaches element ${last} of a storage of ${t.storage.numel}`);
  // The common case, a contiguous float32 tensor: one copy (the entry may sit at any byte offset).
  const contiguous = t.stride.every((s, i) => t.shape[i] === 1 || s === t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous && t.storage.dtype === 'float32') return new Float32Array(entry.data.slice(4 * t.offset, 4 * (t.offset + size)).buffer);
  const view = new DataView(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  const get = reader(view, t.storage.dtype, name);
  const out = new Float32Array(size);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < size; k++) {
    let at = t.offset;
    for (let d = 0; d < index.length; d++) at += index[d]! * t.stride[d]!;
    out[k] = get(at);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < t.shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/** The dict of tensors in a loaded object: itself, or its `state_dict` / `model` entry. */
function stateDictOf(value: PickleValue, what: string): PickleDict {
  if (!(value instanceof PickleDict))
    throw new ResNetError(
      `resnet: ${what} holds no dict of tensors (a state dict); it holds ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  const hasTensors = (d: PickleDict) => [...d.entries.values()].some(isTensor);
  if (hasTensors(value)) return value;
  for (const key of ['state_dict', 'model', 'model_state_dict', 'net']) {
    const inner = value.entries.get(key);
    if (inner instanceof PickleDict && hasTensors(inner)) return inner;
  }
  const keys = [...value.entries.keys()].slice(0, 8).join(', ');
  throw new ResNetError(
    `resnet: ${what} holds a dict without tensors (keys: ${keys || 'none'}), and no state dict under state_dict or model`,
  );
}

/**
 * The state dict in a PyTorch checkpoint's bytes, as importStateDict takes it (PyTorch layout,
 * float32). `what` names the file in errors.
 */
export function stateDictFromPth(bytes: Uint8Array, what = 'the checkpoint'): Map<string, TorchTensor> {
  const entries = readZip(bytes, what);
  const pickles = [...entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  if (pickles.length !== 1)
    throw new ResNetError(
      `resnet: ${what} is a ZIP archive but not a torch.save checkpoint (it has ${pickles.length} data.pkl entries, 1 expected)`,
    );
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(order.data).trim() !== 'little')
    throw new ResNetError(`resnet: ${what} was saved on a big-endian machine, which this reader does not handle`);
  const storages = new Map<string, ZipEntry>();
  for (const [name, entry] of entries) if (name.startsWith(`${prefix}data/`)) storages.set(name.slice(`${prefix}data/`.length), entry);
  const dict = stateDictOf(unpickle(entries.get(pickles[0]!)!.data, what), what);
  const out = new Map<string, TorchTensor>();
  for (const [name, value] of dict.entries) {
    if (!isTensor(value)) continue; // e.g. a model's non-tensor attributes
    out.set(name, { shape: value.shape, data: materialise(value, storages, name, what) });
  }
  return out;
}

/**
 * Loads a PyTorch checkpoint's weights into `model` (names as torchvision's; layouts converted).
 * `head: 'keep'` loads the backbone only and leaves the model's own classifier (a new head).
 */
export function importPth(model: ResNet, bytes: Uint8Array, what = 'the checkpoint', options: ImportStateDictOptions = {}): void {
  importStateDict(model, stateDictFromPth(bytes, what), options);
}
