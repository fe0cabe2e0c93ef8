// The `resnet` command as a user runs it: listing, summaries, and inference on .npy files with
// PyTorch (safetensors) and TensorFlow.js (model.json) weights, checked against PyTorch's logits.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createModel, parseNpy, parseSafetensors, saveWeights, serializeNpy, serializeSafetensors, toFloat32 } from '@resnet/core';
import { fileSystem } from '@resnet/node-io';
import { beforeAll, describe, expect, test } from 'vitest';
import { main } from '../src/main.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../bin/resnet.js');
const FIXTURES = path.resolve(here, '../../../packages/core/test/fixtures/pytorch');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('resnet models', () => {
  test('lists every net with depth, parameters and multiply-adds', async () => {
    const { code, out } = await run('models');
    expect(code).toBe(0);
    expect(out).toMatch(/resnet50\s+imagenet\s+50\s+residual\s+25,557,032\s+3\.86G\s+224×224/);
    expect(out).toMatch(/resnet20\s+cifar\s+20\s+residual\s+269,722/);
    expect(out).toMatch(/plain110\s+cifar\s+110\s+plain/);
    const json = JSON.parse((await run('models', '--json')).out) as Array<{ name: string; params: number }>;
    expect(json.find((m) => m.name === 'resnet152')!.params).toBe(60_192_808);
  });
});

describe('resnet weights', () => {
  test("lists torchvision's published weights with accuracy, layout and whether each is cached", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'resnet-cache-'));
    const before = process.env['RESNET_CACHE'];
    process.env['RESNET_CACHE'] = cache;
    try {
      const { code, out } = await run('weights');
      expect(code).toBe(0);
      expect(out).toMatch(
        /resnet50\.imagenet1k_v2 \(default\)\s+resnet50\s+80\.858\s+95\.434\s+25,557,032\s+stride in the 3×3 \(torchvision's layout\)\s+resnet50-11ad3fa6\.pth\s+no/,
      );
      expect(out).toMatch(/resnet18\.imagenet1k_v1 \(default\)\s+resnet18\s+69\.758\s+89\.078\s+11,689,512\s+basic blocks/);
      expect(out).toContain(`cache: ${cache}/weights`);
      const json = JSON.parse((await run('weights', '--json')).out) as Array<{ name: string; cached: boolean }>;
      expect(json).toHaveLength(8);
      // A wrong copy given with --from is refused (exit 1) and nothing is cached.
      const wrong = path.join(cache, 'not-resnet18.pth');
      writeFileSync(wrong, 'not the weights');
      const refused = await run('weights', 'get', 'resnet18', '--from', wrong);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(
        /not-resnet18\.pth is not resnet18-f37072fd\.pth: its SHA-256 is [0-9a-f]{64}, which does not start with f37072fd/,
      );
      expect(JSON.parse((await run('weights', '--json')).out).every((w: { cached: boolean }) => !w.cached)).toBe(true);
    } finally {
      if (before === undefined) delete process.env['RESNET_CACHE'];
      else process.env['RESNET_CACHE'] = before;
    }
  });

  test('an unknown name lists the catalogue; usage errors exit 2', async () => {
    const unknown = await run('weights', 'get', 'resnet20');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no published weights are called "resnet20"; the catalogue has resnet18\.imagenet1k_v1, /);
    expect((await run('weights', 'get')).code).toBe(2);
    expect((await run('weights', 'fetch', 'resnet50')).code).toBe(2);
  });
});

describe('resnet summary', () => {
  test("prints layers and the paper's totals; --json has model, params, macs and layers", async () => {
    const text = await run('summary', 'resnet20');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/layer2\.0\.shortcut\s+shortcut\s+\[16, 16, 32\]/);
    expect(text.out).toMatch(/parameters: 269,722/);
    const { out } = await run('summary', 'resnet50', '--json');
    const s = JSON.parse(out) as { model: string; params: number; macs: number; layers: Array<{ name: string; outputShape: number[] }> };
    expect(s.model).toBe('resnet50');
    expect(s.params).toBe(25_557_032);
    expect(Math.abs(s.macs - 3.8e9) / 3.8e9).toBeLessThan(0.03);
    expect(s.layers.find((l) => l.name === 'layer4.2.conv3')!.outputShape).toEqual([7, 7, 2048]);
  });

  test('options: --shortcut, --stride-in, --classes, --input', async () => {
    const json = async (...a: string[]) =>
      JSON.parse((await run('summary', ...a, '--json')).out) as {
        params: number;
        macs: number;
        layers: Array<{ name: string; outputShape: number[] }>;
      };
    expect((await json('resnet34', '--shortcut', 'A')).params).toBe(21_623_848);
    expect((await json('resnet50', '--stride-in', '3x3')).macs).toBeGreaterThan((await json('resnet50')).macs);
    expect((await json('resnet18', '--classes', '10')).layers.at(-1)!.outputShape).toEqual([10]);
    expect((await json('resnet18', '--input', '64')).layers.find((l) => l.name === 'conv1')!.outputShape).toEqual([32, 32, 64]);
  });

  test('bad names and options: clear messages, exit 1 (bad value) or 2 (bad usage)', async () => {
    expect(await run('summary', 'resnet21')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/unknown model "resnet21"; known models: resnet18/),
    });
    expect(await run('summary', 'resnet18', '--stride-in', '3x3')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/strideIn applies to bottleneck nets/),
    });
    expect(await run('summary', 'plain20', '--shortcut', 'B')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/does not apply to plain net/),
    });
    expect(await run('summary', 'resnet18', '--shortcut', 'D')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--shortcut must be one of A, B, C, got "D"/),
    });
    expect(await run('summary', 'resnet18', '--classes', 'ten')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--classes must be a positive integer, got "ten"/),
    });
    expect(await run('summary')).toMatchObject({ code: 2, err: expect.stringMatching(/summary takes one model name/) });
    expect(await run('summary', 'resnet18', '--bogus')).toMatchObject({ code: 2, err: expect.stringMatching(/--bogus/) });
    expect(await run('fit')).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /unknown command "fit"; commands are train, eval, predict, experiment, models, weights, summary, infer, doctor, conformance/,
      ),
    });
  });

  test('help for the command and each subcommand', async () => {
    expect((await run('--help')).out).toMatch(/Commands:\n\s+train\s+train a network/);
    expect((await run('train', '--help')).out).toMatch(/--resume\s+continue the run/);
    expect((await run('infer', '--help')).out).toMatch(/--stride-in/);
  });
});

describe('resnet infer', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(path.join(tmpdir(), 'resnet-cli-'));
  });

  /** A fixture's state dict alone (as torch.save + safetensors would write it), its input as .npy, and PyTorch's logits. */
  function fixtureFiles(name: string): { weights: string; input: string; expected: Float32Array } {
    const file = parseSafetensors(new Uint8Array(readFileSync(path.join(FIXTURES, `${name}.safetensors`))));
    const state = [...file.tensors].filter(([k]) => !k.startsWith('__fixture__.'));
    const weights = path.join(dir, `${name}.safetensors`);
    writeFileSync(
      weights,
      serializeSafetensors(
        state.map(([k, t]) =>
          t.dtype === 'I64'
            ? { name: k, dtype: 'I64' as const, shape: t.shape, data: BigInt64Array.of(BigInt(toFloat32(t)[0]!)) }
            : { name: k, dtype: 'F32' as const, shape: t.shape, data: toFloat32(t) },
        ),
      ),
    );
    const x = file.tensors.get('__fixture__.input')!;
    const input = path.join(dir, `${name}.x.npy`);
    writeFileSync(input, serializeNpy(x.shape, toFloat32(x)));
    return { weights, input, expected: toFloat32(file.tensors.get('__fixture__.logits_eval')!) };
  }

  function relativeError(a: Float32Array, b: Float32Array): number {
    let diff = 0;
    let scale = 0;
    b.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(a[i]! - v));
      scale = Math.max(scale, Math.abs(v));
    });
    return diff / scale;
  }

  test.each([
    ['cifar_resnet14_A', 'resnet14'],
    ['cifar_resnet8_B', 'resnet8'],
  ])("%s: logits from PyTorch weights equal PyTorch's within 1e-4 (the real binary)", async (fixture, model) => {
    const { weights, input, expected } = fixtureFiles(fixture);
    const output = path.join(dir, `${fixture}.y.npy`);
    const { stderr } = await promisify(execFile)(process.execPath, [
      BIN,
      'infer',
      '--model',
      model,
      '--weights',
      weights,
      '--input',
      input,
      '--output',
      output,
    ]);
    // auto: the fastest backend that runs natively here (wasm on a machine without a GPU).
    expect(stderr).toMatch(new RegExp(`wrote logits \\[4, 10\\] to .*${fixture}\\.y\\.npy \\(${model}, backend \\w+`));
    const y = parseNpy(new Uint8Array(readFileSync(output)));
    expect(y.shape).toEqual([4, 10]);
    expect(relativeError(y.data, expected)).toBeLessThan(1e-4);
  });

  test('a model.json saved by @resnet/core works too', async () => {
    const model = createModel('resnet8', { seed: 3, widths: [4, 8, 16], stemWidth: 4 });
    const saved = path.join(dir, 'saved');
    await saveWeights(model, fileSystem(saved));
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const input = path.join(dir, 'x2.npy');
    writeFileSync(input, serializeNpy(x.shape, x.dataSync() as Float32Array));
    const output = path.join(dir, 'y2.npy');
    const result = await run(
      'infer',
      '--model',
      'resnet8',
      '--weights',
      path.join(saved, 'model.json'),
      '--input',
      input,
      '--output',
      output,
      '--backend',
      'cpu',
    );
    expect(result.err).toMatch(/\(resnet8, backend cpu \(JavaScript/);
    expect(result.code).toBe(0);
    const expected = model.predict(x);
    expect(relativeError(parseNpy(new Uint8Array(readFileSync(output))).data, expected.dataSync() as Float32Array)).toBeLessThan(1e-6);
    const wrong = await run(
      'infer',
      '--model',
      'resnet14',
      '--weights',
      path.join(saved, 'model.json'),
      '--input',
      input,
      '--output',
      output,
    );
    expect(wrong).toMatchObject({ code: 1, err: expect.stringMatching(/holds resnet8, not resnet14: stages \[1,1,1\] ≠ \[2,2,2\]/) });
    tf.dispose([x, expected]);
    model.dispose();
  });

  test('bad files and mismatched weights get clear errors and exit 1', async () => {
    const { weights, input } = fixtureFiles('cifar_resnet14_A');
    const output = path.join(dir, 'bad.npy');
    const garbage = path.join(dir, 'garbage.npy');
    writeFileSync(garbage, 'not an npy file at all');
    expect(await run('infer', '--model', 'resnet14', '--weights', weights, '--input', garbage, '--output', output)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^npy: /),
    });
    const flat = path.join(dir, 'flat.npy');
    writeFileSync(flat, serializeNpy([3, 4], new Float32Array(12)));
    expect(await run('infer', '--model', 'resnet14', '--weights', weights, '--input', flat, '--output', output)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/must hold an NHWC batch \[N, H, W, C\], got shape \[3, 4\]/),
    });
    expect(await run('infer', '--model', 'resnet20', '--weights', weights, '--input', input, '--output', output)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/weights do not fit resnet20: missing "layer1.2.conv1.weight"/),
    });
    expect(await run('infer', '--model', 'resnet14', '--weights', input, '--input', input, '--output', output)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--weights must be a .safetensors file or a model.json/),
    });
    expect(
      await run('infer', '--model', 'resnet14', '--weights', path.join(dir, 'missing.safetensors'), '--input', input, '--output', output),
    ).toMatchObject({ code: 1, err: expect.stringMatching(/missing\.safetensors/) });
    expect(
      await run('infer', '--model', 'resnet14', '--weights', garbage.replace('.npy', '.safetensors'), '--input', input, '--output', output),
    ).toMatchObject({ code: 1 });
    expect(await run('infer', '--model', 'resnet14', '--input', input, '--output', output)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--weights is required/),
    });
    const img1 = path.join(dir, 'gray.npy');
    writeFileSync(img1, serializeNpy([1, 32, 32, 1], new Float32Array(1024)));
    expect(await run('infer', '--model', 'resnet14', '--weights', weights, '--input', img1, '--output', output)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/input must be \[N, H, W, 3\] for resnet14, got \[1, 32, 32, 1\]/),
    });
  });

  test('the binary exits 2 on a usage error, printing to stderr', async () => {
    const error = await promisify(execFile)(process.execPath, [BIN, 'nonsense']).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "nonsense"/) });
  });
});

describe('resnet doctor', () => {
  test('lists every backend, whether it runs here and why not, and what auto picks', async () => {
    const { code, out } = await run('doctor');
    expect(code).toBe(0);
    for (const name of ['node-gpu', 'node', 'webgpu', 'onednn', 'wasm', 'cpu'])
      expect(out).toMatch(new RegExp(`^${name}( \\*)?\\s+(yes|no)\\s`, 'm'));
    expect(out).toMatch(/^node-gpu\s+no\s+-$/m);
    expect(out.replace(/\n {4}/g, ' ')).toMatch(
      /^why not:\n {2}node-gpu: @tensorflow\/tfjs-node-gpu is not installed .*CUDA 11\.2 and cuDNN 8\.1/m,
    ); // lines wrap at 100 columns
    expect(out).toMatch(/^cpu\s+yes\s+JavaScript/m);
    expect(out).toMatch(/\* auto picks (onednn|wasm|webgpu|node-gpu|node)/);
    const json = JSON.parse((await run('doctor', '--json')).out) as {
      auto: string;
      backends: Array<{ name: string; available: boolean; reason?: string; device?: string; details?: Record<string, string> }>;
    };
    expect(json.backends.map((b) => b.name)).toEqual(['node-gpu', 'node', 'webgpu', 'onednn', 'wasm', 'cpu']);
    expect(json.backends.find((b) => b.name === json.auto)!.available).toBe(true);
    // onednn: its version, the ISA oneDNN dispatches to and its threads; else why not, with the fix, on one line.
    const onednn = json.backends.find((b) => b.name === 'onednn')!;
    if (onednn.available) {
      expect(out).toMatch(/^onednn( \*)?\s+yes\s+oneDNN \d+\.\d+\.\d+ \(\w+, \d+ threads?\)$/m);
      expect(onednn.details).toMatchObject({
        onednn: expect.stringMatching(/^\d+\.\d+\.\d+$/),
        isa: expect.any(String),
        threads: expect.stringMatching(/^\d+$/),
      });
      expect(out).toMatch(/^ {2}onednn: onednn \d+\.\d+\.\d+; isa \w+; threads \d+/m);
    } else {
      expect(out).toMatch(/^onednn\s+no\s+-$/m);
      expect(out).toMatch(/^ {2}onednn: .*(apt-get install libdnnl-dev|rebuild-native)/m);
    }
    if (process.env.RESNET_ONEDNN_REQUIRED === '1') expect(onednn.available, onednn.reason).toBe(true);
  });
});

describe('resnet conformance', () => {
  test('runs the selected cases on a backend and prints the table; exit 0 when all pass', async () => {
    const { code, out } = await run('conformance', '--backend', 'wasm', '--filter', 'maxPool');
    expect(code).toBe(0);
    expect(out).toMatch(/^conformance: wasm vs cpu \(WebAssembly/m);
    expect(out).toMatch(/^ok\s+op\s+maxPool 3×3\/2 pad 1 \[2,7,7,3\]/m);
    expect(out).toMatch(/^2 passed, 0 failed$/m);
  });

  test('a backend that cannot run here exits 1 with the reason; --backend is required', async () => {
    expect(await run('conformance', '--backend', 'node-gpu')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/cannot run the conformance suite on node-gpu: @tensorflow\/tfjs-node-gpu is not installed/),
    });
    expect(await run('conformance')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/conformance needs --backend, one of node-gpu, node, webgpu, onednn, wasm, cpu/),
    });
    expect(await run('conformance', '--backend', 'tpu')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--backend must be one of auto, node-gpu/),
    });
  });
});
