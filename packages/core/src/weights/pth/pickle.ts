/**
 * A pickle interpreter for PyTorch checkpoints that executes nothing. Python's `pickle.load` calls
 * whatever callable a file names (`os.system` through `__reduce__` is the classic exploit); here a
 * file may only build the values a state dict is made of: dicts (and `collections.OrderedDict`),
 * lists, tuples, strings, numbers, booleans, None, and tensors through the few `torch` functions
 * `torch.save` writes (`torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`, the storage
 * classes). Any other global, and any opcode outside the protocol-2–5 subset a state dict uses,
 * is refused with an error naming it: the interpreter has no way to run code, so a malicious file
 * fails to load and nothing else happens.
 */
import { ResNetError } from '../../errors.js';

/** A global the file named, resolved to one of the values below or refused. */
export type PickleGlobal =
  | { kind: 'ordered_dict' }
  | { kind: 'rebuild_tensor' }
  | { kind: 'rebuild_parameter' }
  | { kind: 'storage_type'; dtype: StorageDType };

export type StorageDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A storage referenced by a persistent id: ('storage', type, key, location, numel). */
export interface StorageRef {
  readonly kind: 'storage';
  readonly dtype: StorageDType;
  readonly key: string;
  readonly numel: number;
}

/** A tensor as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | StorageRef
  | TensorRef;

/** A tuple, kept apart from lists (a persistent id and a tensor's size are tuples). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A dict (plain or OrderedDict) with string keys, in insertion order. */
export class PickleDict {
  readonly entries = new Map<string, PickleValue>();
}

const STORAGE_TYPES: Record<string, StorageDType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

function resolveGlobal(module: string, name: string, what: string): PickleGlobal {
  if (module === 'collections' && name === 'OrderedDict') return { kind: 'ordered_dict' };
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return { kind: 'rebuild_tensor' };
  if (module === 'torch._utils' && name === '_rebuild_parameter') return { kind: 'rebuild_parameter' };
  if (module === 'torch' && name in STORAGE_TYPES) return { kind: 'storage_type', dtype: STORAGE_TYPES[name]! };
  throw new ResNetError(
    `resnet: ${what} refers to ${module}.${name}, which a PyTorch state dict does not need; it was refused and nothing in the file was run ` +
      '(only dicts, lists, numbers, strings and tensors are read from a checkpoint)',
  );
}

function isGlobal(v: PickleValue, kind: PickleGlobal['kind']): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === kind;
}

function toInt(v: PickleValue, what: string, field: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new ResNetError(`resnet: ${what}: ${field} must be a whole number ≥ 0, got ${String(v)}`);
  return n;
}

function intTuple(v: PickleValue, what: string, field: string): number[] {
  if (!(v instanceof PickleTuple)) throw new ResNetError(`resnet: ${what}: ${field} must be a tuple of whole numbers`);
  return v.items.map((d) => toInt(d, what, field));
}

/** Calls one of the allowed callables (REDUCE, NEWOBJ). */
function call(fn: PickleValue, args: PickleValue, what: string): PickleValue {
  if (!(args instanceof PickleTuple)) throw new ResNetError(`resnet: ${what} calls a function with arguments that are not a tuple`);
  if (isGlobal(fn, 'ordered_dict')) {
    const dict = new PickleDict();
    if (args.items.length > 0) throw new ResNetError(`resnet: ${what} builds an OrderedDict from arguments, which torch.save never writes`);
    return dict;
  }
  if (isGlobal(fn, 'rebuild_tensor')) {
    const [storage, offset, size, stride] = args.items;
    if (!(typeof storage === 'object' && storage !== null && 'kind' in storage && storage.kind === 'storage'))
      throw new ResNetError(`resnet: ${what} rebuilds a tensor from something that is not a storage`);
    return {
      kind: 'tensor',
      storage: storage as StorageRef,
      offset: toInt(offset ?? null, what, 'a storage offset'),
      shape: intTuple(size ?? null, what, 'a tensor size'),
      stride: intTuple(stride ?? null, what, 'a tensor stride'),
    };
  }
  if (isGlobal(fn, 'rebuild_parameter')) {
    const tensor = args.items[0];
    if (!(typeof tensor === 'object' && tensor !== null && 'kind' in tensor && tensor.kind === 'tensor'))
      throw new ResNetError(`resnet: ${what} makes a Parameter of something that is not a tensor`);
    return tensor;
  }
  throw new ResNetError(`resnet: ${what} calls something that is not a function a state dict uses`);
}

function persistentLoad(pid: PickleValue, what: string): StorageRef {
  if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5)
    throw new ResNetError(`resnet: ${what} has a persistent id that is not a storage reference`);
  const [, type, key, , numel] = pid.items;
  if (!(typeof type === 'object' && type !== null && 'kind' in type && type.kind === 'storage_type'))
    throw new ResNetError(`resnet: ${what} references a storage of an unknown type`);
  if (typeof key !== 'string') throw new ResNetError(`resnet: ${what} references a storage without a name`);
  return { kind: 'storage', dtype: (type as { dtype: StorageDType }).dtype, key, numel: toInt(numel ?? null, what, 'a storage size') };
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Interprets `bytes` (a pickle, protocol 2 to 5) and returns the value it builds. */
export function unpickle(bytes: Uint8Array, what: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new ResNetError(`resnet: ${what}'s pickle ends in the middle of an instruction (truncated)`);
  };
  const u8 = () => (need(1), bytes[at++]!);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const str = (n: number) => {
    need(n);
    at += n;
    try {
      return text.decode(bytes.subarray(at - n, at));
    } catch {
      throw new ResNetError(`resnet: ${what} has a string that is not UTF-8`);
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw new ResNetError(`resnet: ${what}'s pickle ends in the middle of an instruction (truncated)`);
    const s = new TextDecoder().decode(bytes.subarray(at, end));
    at = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new ResNetError(`resnet: ${what}'s pickle is malformed (its stack runs empty)`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new ResNetError(`resnet: ${what}'s pickle is malformed (no mark)`);
    const items = stack.splice(i + 1) as PickleValue[];
    stack.pop();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new ResNetError(`resnet: ${what}'s pickle is malformed (its stack runs empty)`);
    return v;
  };
  const setItems = (dict: PickleValue, items: PickleValue[]) => {
    if (!(dict instanceof PickleDict)) throw new ResNetError(`resnet: ${what} sets items on something that is not a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = items[i];
      // Optimizer states (saved beside a state dict) are keyed by parameter index.
      if (typeof key !== 'string' && typeof key !== 'number')
        throw new ResNetError(`resnet: ${what} has a dict key that is neither a string nor a number`);
      dict.entries.set(String(key), items[i + 1]!);
    }
  };
  const append = (list: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(list)) throw new ResNetError(`resnet: ${what} appends to something that is not a list`);
    list.push(...items);
  };
  const long = (n: number): bigint | number => {
    need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
    if (n > 0 && bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    at += n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new ResNetError(`resnet: ${what} uses a pickle protocol newer than 5`);
        break;
      case 0x95: // FRAME
        need(8);
        at += 8;
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PickleTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(view.getBigUint64(at, true));
        at += 8;
        stack.push(str(n));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(resolveGlobal(module, line(), what));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new ResNetError(`resnet: ${what} names a global that is not a string`);
        stack.push(resolveGlobal(module, name, what));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args, what));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args, what));
        break;
      }
      case 0x62: {
        // BUILD: torch.save's OrderedDicts may carry state (their _metadata): ignored.
        pop();
        top();
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop(), what));
        break;
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        append(top(), [value]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new ResNetError(`resnet: ${what}'s pickle refers to memo entry ${key}, which it never stored`);
        stack.push(memo.get(key)!);
        break;
      }
      default:
        throw new ResNetError(
          `resnet: ${what}'s pickle uses opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at - 1}, which a PyTorch state dict does not need; it was refused and nothing in the file was run`,
        );
    }
  }
}
