// PyTorch checkpoints read directly (src/weights/pth/): files written by Debian's PyTorch with
// torch.save from torchvision's ResNet-18 (random weights) by test/fixtures/make_pth.py at test
// time (46 MB each: too large to keep), loaded into our ResNet-18 on the cpu backend, whose logits
// must equal PyTorch's eval() logits within the parity tolerance. Also a malicious pickle (refused,
// and its os.system never runs), a legacy non-zip file, a truncated archive and a file that is no
// archive at all. Without /usr/bin/python3 and torch the tests are skipped, saying why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createModel, importPth, optionsFromStateDict, stateDictFromPth } from '../../src/index.js';
import { useCpu } from '../helpers/cpu.js';
import { relativeError } from '../helpers/fixtures.js';

/** test/parity.test.ts's tolerance: float32 sums in another order differ by ~1e-6 relative. */
const TOLERANCE = 1e-4;

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '..', 'fixtures', 'make_pth.py');
const dir = mkdtempSync(path.join(os.tmpdir(), 'resnet-pth-'));
const made = spawnSync('/usr/bin/python3', [script, dir], { encoding: 'utf8' });
const why =
  made.error || made.status !== 0
    ? `/usr/bin/python3 with torch and torchvision could not write the checkpoints (${made.error?.message ?? made.stderr.trim().split('\n').pop()}); apt-get install python3-torch python3-torchvision`
    : undefined;
if (why) console.warn(`skipped: ${why}`);

const file = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
const floats = (name: string) => {
  const b = readFileSync(path.join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

beforeAll(useCpu);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(why !== undefined)('torch.save files of torchvision ResNet-18', () => {
  function logitsOf(name: string): Float32Array {
    const bytes = file(name);
    const state = stateDictFromPth(bytes, name);
    const model = createModel('resnet18', optionsFromStateDict('resnet18', state));
    importPth(model, bytes, name);
    const x = tf.tensor4d(floats('input.bin'), [2, 64, 64, 3]);
    const logits = model.predict(x, { anyInputSize: true });
    const values = logits.dataSync() as Float32Array;
    tf.dispose([x, logits]);
    model.dispose();
    return values;
  }

  test.each(['bare.pth', 'wrapped.pth', 'module_prefix.pth'])("%s: logits equal PyTorch's eval() logits", (name) => {
    expect(relativeError(logitsOf(name), floats('logits.bin'))).toBeLessThan(TOLERANCE);
  });

  test("half.pt (float16 weights): logits equal PyTorch's with the same weights", () => {
    expect(relativeError(logitsOf('half.pt'), floats('logits_half.bin'))).toBeLessThan(TOLERANCE);
  });

  test("bfloat16.pt: logits equal PyTorch's with the same weights", () => {
    expect(relativeError(logitsOf('bfloat16.pt'), floats('logits_bf16.bin'))).toBeLessThan(TOLERANCE);
  });

  test("head: 'keep' loads the backbone of ImageNet weights into a model with a new head for 5 classes", () => {
    const bytes = file('bare.pth');
    const state = stateDictFromPth(bytes);
    const model = createModel('resnet18', { numClasses: 5, seed: 3 });
    const head = model.variables.get('fc.weight')!.dataSync().slice();
    importPth(model, bytes, 'bare.pth', { head: 'keep' });
    // The head is the model's own, untouched; every backbone tensor is the file's (OIHW → HWIO).
    expect(model.variables.get('fc.weight')!.shape).toEqual([512, 5]);
    expect(Array.from(model.variables.get('fc.weight')!.dataSync())).toEqual(Array.from(head));
    const conv1 = tf.tidy(() => tf.transpose(tf.tensor(state.get('conv1.weight')!.data, [64, 3, 7, 7]), [2, 3, 1, 0]).dataSync());
    expect(Array.from(model.variables.get('conv1.weight')!.dataSync())).toEqual(Array.from(conv1));
    expect(Array.from(model.variables.get('layer4.1.bn2.running_var')!.dataSync())).toEqual(
      Array.from(state.get('layer4.1.bn2.running_var')!.data),
    );
    // Without it, the 1000-class head does not fit, and the message says so.
    expect(() => importPth(model, bytes, 'bare.pth')).toThrow(/"fc\.weight" has shape \[1000, 512\], expected \[5, 512\]/);
    model.dispose();
  });

  test('the state dict has every tensor, in PyTorch layout, and BN counters as numbers', () => {
    const state = stateDictFromPth(file('bare.pth'));
    expect(state.size).toBe(122);
    expect(state.get('conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    expect(state.get('fc.weight')!.shape).toEqual([1000, 512]);
    expect(Array.from(state.get('bn1.num_batches_tracked')!.data)).toEqual([7]);
  });

  test('a malicious pickle (os.system through __reduce__) is refused, naming the call, and runs nothing', () => {
    expect(() => stateDictFromPth(file('malicious.pth'), 'malicious.pth')).toThrow(
      /malicious\.pth refers to (posix|os)\.system, which a PyTorch state dict does not need; it was refused and nothing in the file was run/,
    );
    expect(existsSync(path.join(dir, 'exploited'))).toBe(false);
  });

  test('a legacy (pre-1.6, non-zip) file says how to convert it', () => {
    expect(() => stateDictFromPth(file('legacy.pth'), 'legacy.pth')).toThrow(/legacy \(pre-1\.6, non-zip\) torch\.save file; re-save it/);
  });

  test('a truncated archive says it is truncated or damaged', () => {
    const bytes = file('bare.pth');
    expect(() => stateDictFromPth(bytes.subarray(0, bytes.length - 1000), 'cut.pth')).toThrow(
      /cut\.pth is not a readable PyTorch checkpoint: it has no ZIP end record: the file is truncated or damaged/,
    );
    expect(() => stateDictFromPth(bytes.subarray(0, 5_000_000), 'half-downloaded.pth')).toThrow(/truncated/);
  });
});

describe('files that are not checkpoints', () => {
  test('a text file, an empty file and another ZIP archive get clear errors', () => {
    expect(() => stateDictFromPth(new TextEncoder().encode('<html>404 Not Found</html>'), 'page.pth')).toThrow(
      /page\.pth is not a readable PyTorch checkpoint: it is not a ZIP archive/,
    );
    expect(() => stateDictFromPth(new Uint8Array(0), 'empty.pth')).toThrow(
      /empty\.pth is not a readable PyTorch checkpoint: it is 0 bytes long/,
    );
  });

  test('a pickle opcode outside the state-dict subset is refused, naming it', () => {
    const zip = storedZip([['archive/data.pkl', Uint8Array.of(0x80, 0x02, 0x69, 0x2e)]]); // INST
    expect(() => stateDictFromPth(zip, 'odd.pth')).toThrow(
      /odd\.pth's pickle uses opcode 0x69 at byte 2, which a PyTorch state dict does not need/,
    );
  });

  test('a tensor larger than its storage (broadcast strides) is refused before it is allocated', () => {
    const text = (v: string) => [0x58, v.length, 0, 0, 0, ...new TextEncoder().encode(v)]; // BINUNICODE
    const global = (module: string, name: string) => [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)]; // GLOBAL
    const int32 = (v: number) => [0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]; // BININT
    const pickle = Uint8Array.from([
      0x80,
      0x02,
      0x7d,
      ...text('conv1.weight'),
      ...global('torch._utils', '_rebuild_tensor_v2'),
      0x28,
      // The storage's persistent id ('storage', FloatStorage, '0', 'cpu', 1 element), BINPERSID.
      0x28,
      ...text('storage'),
      ...global('torch', 'FloatStorage'),
      ...text('0'),
      ...text('cpu'),
      0x4b,
      1,
      0x74,
      0x51,
      // offset 0, size (1e9,), stride (0,), requires_grad False, hooks {}: a billion floats from one.
      0x4b,
      0,
      ...int32(1_000_000_000),
      0x85,
      0x4b,
      0,
      0x85,
      0x89,
      0x7d,
      0x74,
      0x52,
      0x73,
      0x2e,
    ]);
    const zip = storedZip([
      ['archive/data.pkl', pickle],
      ['archive/data/0', new Uint8Array(4)],
    ]);
    expect(() => stateDictFromPth(zip, 'huge.pth')).toThrow(
      /huge\.pth: the tensor "conv1\.weight" has 1000000000 elements but its storage holds 1/,
    );
  });

  test('a ZIP archive without data.pkl is not a checkpoint', () => {
    const zip = storedZip([['notes.txt', new TextEncoder().encode('hello')]]);
    expect(() => stateDictFromPth(zip, 'notes.zip')).toThrow(/notes\.zip is a ZIP archive but not a torch\.save checkpoint/);
  });
});

/** A ZIP archive of stored entries (CRCs left 0: the reader does not check them, as torch does not). */
function storedZip(entries: Array<[string, Uint8Array]>): Uint8Array {
  const out: number[] = [];
  const central: number[] = [];
  /** Little-endian fields of 16 or 32 bits. */
  const put = (to: number[], fields: Array<[16 | 32, number]>) => {
    for (const [bits, v] of fields) for (let i = 0; i < bits / 8; i++) to.push((v >>> (8 * i)) & 0xff);
  };
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const offset = out.length;
    put(out, [
      [32, 0x04034b50],
      [16, 20],
      [16, 0],
      [16, 0],
      [32, 0],
      [32, 0],
      [32, data.length],
      [32, data.length],
      [16, nameBytes.length],
      [16, 0],
    ]);
    out.push(...nameBytes, ...data);
    put(central, [
      [32, 0x02014b50],
      [16, 20],
      [16, 20],
      [16, 0],
      [16, 0],
      [32, 0],
      [32, 0],
      [32, data.length],
      [32, data.length],
      [16, nameBytes.length],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [32, 0],
      [32, offset],
    ]);
    central.push(...nameBytes);
  }
  const start = out.length;
  out.push(...central);
  put(out, [
    [32, 0x06054b50],
    [16, 0],
    [16, 0],
    [16, entries.length],
    [16, entries.length],
    [32, central.length],
    [32, start],
    [16, 0],
  ]);
  return Uint8Array.from(out);
}
