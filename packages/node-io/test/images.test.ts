// Image folders on disk with real files: PNGs and JPEGs written by sharp into a temporary folder
// (3 classes × 2 images of 300×260), read back through imageFolder, sharpImageDecoder and
// loadImageForModel.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageFolderDataset, ResNetError, Rng, computeMeanImage, type ImageBatch } from '@resnet/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FileIOError, imageFolder, imageFolderSource, loadImageForModel, sharpImageDecoder, type SharpKernel } from '../src/index.js';
import { removeTempDirs, tempDir } from './helpers.js';

const W = 300;
const H = 260;

/** HWC bytes of a W×H image from a function of (y, x). */
function pixels(f: (y: number, x: number) => [number, number, number], height = H, width = W): Buffer {
  const out = Buffer.alloc(height * width * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(f(y, x), (y * width + x) * 3);
  return out;
}

const raw = (data: Buffer, height = H, width = W): sharp.Sharp => sharp(data, { raw: { width, height, channels: 3 } });
const solid = (rgb: [number, number, number], height = H, width = W): Buffer => pixels(() => rgb, height, width);
/** Red rises from left to right, green from top to bottom. */
const gradient = pixels((y, x) => [Math.round((255 * x) / (W - 1)), Math.round((255 * y) / (H - 1)), 128]);

let root: string;
let corruptRoot: string;

beforeAll(async () => {
  root = await tempDir();
  const files: Record<string, Record<string, Promise<Buffer>>> = {
    red: {
      'a.png': raw(solid([255, 0, 0]))
        .png()
        .toBuffer(),
      'B.JPG': raw(solid([255, 0, 0]))
        .jpeg({ quality: 90 })
        .toBuffer(),
    },
    green: {
      'g.jpeg': raw(solid([0, 255, 0]))
        .jpeg({ quality: 90 })
        .toBuffer(),
      'h.PNG': raw(solid([0, 200, 0]))
        .png()
        .toBuffer(),
    },
    blue: { 'grad.png': raw(gradient).png().toBuffer(), 'grad.jpg': raw(gradient).jpeg({ quality: 95 }).toBuffer() },
  };
  for (const [cls, images] of Object.entries(files)) {
    await mkdir(join(root, cls));
    for (const [name, bytes] of Object.entries(images)) await writeFile(join(root, cls, name), await bytes);
  }
  // Not images, or hidden: left out.
  await writeFile(join(root, 'red', 'notes.txt'), 'not an image');
  await writeFile(join(root, 'red', '.hidden.jpg'), 'not an image');
  await writeFile(join(root, 'readme.png'), 'a file directly in the root');
  await mkdir(join(root, '.cache'));

  corruptRoot = await tempDir();
  await mkdir(join(corruptRoot, 'cls'));
  const jpeg = await raw(gradient).jpeg().toBuffer();
  await writeFile(join(corruptRoot, 'cls', 'broken.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  await writeFile(join(corruptRoot, 'cls', 'fine.jpg'), jpeg);
  // A second class: a folder of one class is refused (a classifier needs two).
  await mkdir(join(corruptRoot, 'other'));
  await writeFile(join(corruptRoot, 'other', 'fine.jpg'), jpeg);
});

afterAll(removeTempDirs);

function pixel(b: ImageBatch, image: number, y: number, x: number): number[] {
  const o = ((image * b.height + y) * b.width + x) * b.channels;
  return Array.from(b.images.subarray(o, o + 3));
}

/** Every pixel of `image` within `tol` of `rgb`. */
function expectAll(b: ImageBatch, image: number, rgb: number[], tol: number): void {
  const n = b.height * b.width;
  let worst = 0;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(b.images[(image * n + p) * 3 + c]! - rgb[c]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** JPEG's error on flat colours, in [0, 1] units. */
const JPEG_TOL = 6 / 255;

describe('imageFolder', () => {
  test('lists classes sorted by name, images of any case of .jpg/.jpeg/.png, labels by class', async () => {
    const source = await imageFolderSource(root);
    expect(source.name).toBe(root);
    expect(source.classNames).toEqual(['blue', 'green', 'red']);
    expect(source.files.map((f) => [f.path.slice(root.length + 1), f.label])).toEqual([
      ['blue/grad.jpg', 0],
      ['blue/grad.png', 0],
      ['green/g.jpeg', 1],
      ['green/h.PNG', 1],
      ['red/B.JPG', 2],
      ['red/a.png', 2],
    ]);
    const ds = await imageFolder(root);
    expect(ds).toBeInstanceOf(ImageFolderDataset);
    expect(ds.name).toBe(`folder:${root}`);
    expect([ds.size, ds.classNames, ds.imageShape]).toEqual([6, ['blue', 'green', 'red'], [224, 224, 3]]);
  });

  test('evaluation view: 224×224 centre crops in [0, 1]; a solid red image stays red after the resize', async () => {
    const ds = await imageFolder(root);
    const b = await ds.batch([0, 1, 2, 3, 4, 5]);
    expect([b.size, b.views, b.height, b.width, b.channels]).toEqual([6, 1, 224, 224, 3]);
    expect(Array.from(b.labels)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(b.images.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(0);
    expect(b.images.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThanOrEqual(1);
    expectAll(b, 4, [1, 0, 0], JPEG_TOL); // red/B.JPG
    expectAll(b, 5, [1, 0, 0], 1e-6); // red/a.png: lossless, and resizing a flat colour keeps it
    expectAll(b, 3, [0, 200 / 255, 0], 1e-6);
    // The gradient (300×260 → 256×295, centre crop at x = 35): red rises along the row, green down the column.
    const row = [0, 100, 223].map((x) => pixel(b, 1, 112, x)[0]!);
    expect(row[0]).toBeLessThan(row[1]!);
    expect(row[1]).toBeLessThan(row[2]!);
    expect(row[0]).toBeCloseTo((35 * 300) / 295 / 299, 1);
    expect(pixel(b, 1, 0, 100)[1]).toBeLessThan(pixel(b, 1, 223, 100)[1]!);
  });

  test('mean subtraction: red stays red (1 − mean in red, −mean elsewhere) within JPEG tolerance', async () => {
    const mean = [0.45, 0.4, 0.35];
    const ds = await imageFolder(root, { mean });
    const b = await ds.batch([4, 5]);
    expectAll(b, 0, [0.55, -0.4, -0.35], JPEG_TOL);
    expectAll(b, 1, [0.55, -0.4, -0.35], 1e-6);
    // A per-pixel mean image from the folder itself: subtracting it leaves the images minus their average.
    const meanImage = await computeMeanImage(ds, { indices: [4, 5] });
    expect(meanImage.length).toBe(224 * 224 * 3);
    expect(Math.abs(meanImage[0]! - 1)).toBeLessThan(JPEG_TOL);
    const centred = await (await imageFolder(root, { mean: meanImage })).batch([5]);
    expectAll(centred, 0, [0, 0, 0], JPEG_TOL);
  });

  test('training batches: 224 crops at random scales, flips and lighting; reproducible from the rng state', async () => {
    const ds = await imageFolder(root, { lighting: 0 });
    const rng = new Rng(1);
    const state = rng.state;
    const b = await ds.batch([5, 4, 1], rng);
    expect([b.size, b.height, b.width]).toEqual([3, 224, 224]);
    expectAll(b, 0, [1, 0, 0], 1e-6);
    expectAll(b, 1, [1, 0, 0], JPEG_TOL);
    const again = await ds.batch([5, 4, 1], Rng.fromState(state));
    expect(Array.from(again.images)).toEqual(Array.from(b.images));
    // With the default lighting the colour moves by one offset per image, a few hundredths at most.
    const lit = await (await imageFolder(root)).batch([5], new Rng(2));
    const [r, g, bl] = pixel(lit, 0, 0, 0);
    expect(Math.abs(r! - 1) + Math.abs(g!) + Math.abs(bl!)).toBeLessThan(0.2);
    expectAll(lit, 0, pixel(lit, 0, 0, 0), 1e-6);
    // Flips show on the gradient: over a few draws red falls along the row at least once.
    const grad = await imageFolder(root, { lighting: 0 });
    const seen = new Set<string>();
    const r2 = new Rng(3);
    for (let t = 0; t < 8; t++) {
      const g2 = await grad.batch([1], r2);
      seen.add(pixel(g2, 0, 100, 0)[0]! < pixel(g2, 0, 100, 223)[0]! ? 'rising' : 'falling');
    }
    expect([...seen].sort()).toEqual(['falling', 'rising']);
  });

  test('ten-crop and full-image views over real files', async () => {
    const ten = await imageFolder(root, { view: 'ten-crop' });
    const b = await ten.batch([1, 5]);
    expect([b.size, b.views, b.images.length]).toEqual([2, 10, 2 * 10 * 224 * 224 * 3]);
    // Gradient: the top-left crop starts at red 0; its mirror (view 5) ends there.
    expect(pixel(b, 0, 0, 0)[0]).toBeLessThan(0.02);
    expect(pixel(b, 5, 0, 223)[0]).toBeLessThan(0.02);
    expect(pixel(b, 1, 0, 223)[0]).toBeGreaterThan(0.98); // top-right crop ends at red 1
    const full = await imageFolder(root, { view: { fullImage: 384 } });
    expect(full.maxBatchSize).toBe(1);
    const f = await full.batch([5]);
    // 300×260 with the shorter side 384: 384 × ⌊300·384/260⌋ = 384×443.
    expect([f.size, f.height, f.width, f.images.length]).toEqual([1, 384, 443, 384 * 443 * 3]);
    expectAll(f, 0, [1, 0, 0], 1e-6);
  });

  test('a truncated JPEG gives an error that names the file', async () => {
    const ds = await imageFolder(corruptRoot);
    const path = join(corruptRoot, 'cls', 'broken.jpg');
    expect(ds.file(0).path).toBe(path);
    const error = await ds.batch([0, 1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResNetError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^folder:${corruptRoot}: cannot decode ${path} \\(\\d+ bytes\\) with sharp 0\\.34\\.\\d+ \\(linear\\): .*premature end`,
        'i',
      ),
    );
    await expect(ds.batch([0], new Rng(1))).rejects.toThrow(path);
    expect((await ds.batch([1])).size).toBe(1);
  });

  test('folder errors name the folder and what was expected', async () => {
    const missing = join(root, 'nope');
    await expect(imageFolder(missing)).rejects.toThrow(
      `node-io: cannot open the image folder ${missing}: no such file or directory (ENOENT)`,
    );
    await expect(imageFolder(join(root, 'readme.png'))).rejects.toThrow(
      `node-io: image folder ${join(root, 'readme.png')} is not a directory`,
    );
    const empty = await tempDir();
    await expect(imageFolder(empty)).rejects.toThrow(
      new FileIOError(`node-io: image folder ${empty}: no class folders (expected ${empty}/<class name>/*.jpg|jpeg|png)`),
    );
    await mkdir(join(empty, 'ok'));
    await writeFile(
      join(empty, 'ok', '1.png'),
      await raw(solid([1, 2, 3], 4, 4), 4, 4)
        .png()
        .toBuffer(),
    );
    await mkdir(join(empty, 'lonely'));
    await writeFile(join(empty, 'lonely', 'x.txt'), 'text');
    await expect(imageFolder(empty)).rejects.toThrow(
      `node-io: image folder ${empty}: class folder "lonely" has no images (.jpg, .jpeg or .png)`,
    );
    await expect(imageFolder(root, { cropSize: 300 })).rejects.toThrow('node-io: folder:');
    const val = await imageFolder(root, { classNames: ['red', 'green', 'blue', 'yellow'] });
    expect(val.classNames).toEqual(['red', 'green', 'blue', 'yellow']);
    expect(val.file(0)).toEqual({ path: join(root, 'red', 'B.JPG'), label: 0 });
  });
});

describe('sharpImageDecoder', () => {
  const decoder = sharpImageDecoder();

  test('decodes to RGB HWC at the stored size, the shorter side asked, or an exact size', async () => {
    const png = await raw(gradient).png().toBuffer();
    const full = await decoder.decode(png);
    expect([full.height, full.width, full.data.length]).toEqual([H, W, H * W * 3]);
    expect(Array.from(full.data.subarray(0, 3))).toEqual([0, 0, 128]);
    expect(Array.from(full.data.subarray(full.data.length - 3))).toEqual([255, 255, 128]);
    const s = await decoder.decode(png, { shorterSide: 256 });
    expect([s.height, s.width]).toEqual([256, 295]);
    const e = await decoder.decode(png, { height: 10, width: 20 });
    expect([e.height, e.width, e.data.length]).toEqual([10, 20, 600]);
  });

  test('greyscale and RGBA images come out as 3 channels; EXIF orientation is applied', async () => {
    const grey = await sharp(Buffer.alloc(6 * 4, 77), { raw: { width: 6, height: 4, channels: 1 } })
      .png()
      .toBuffer();
    const g = await decoder.decode(grey);
    expect([g.height, g.width, Array.from(g.data.subarray(0, 3))]).toEqual([4, 6, [77, 77, 77]]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 128, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    expect(Array.from((await decoder.decode(rgba)).data)).toEqual([10, 20, 30, 40, 50, 60]);
    // Stored 30 wide × 20 high, tagged "rotate 90°": upright it is 20 wide × 30 high.
    const rotated = await raw(solid([0, 0, 255], 20, 30), 20, 30)
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await decoder.decode(rotated, { shorterSide: 10 });
    expect([r.height, r.width]).toEqual([15, 10]);
  });

  test('bytes that are not an image are refused; bad options are named', async () => {
    await expect(decoder.decode(new TextEncoder().encode('hello'))).rejects.toThrow(/unsupported image format/);
    expect(() => sharpImageDecoder({ kernel: 'box' as SharpKernel })).toThrow(
      'node-io: sharpImageDecoder: kernel must be one of nearest, linear',
    );
  });
});

describe('loadImageForModel', () => {
  test('the evaluation centre crop as size×size×3 floats, normalised', async () => {
    const x = await loadImageForModel(join(root, 'red', 'a.png'), { size: 224 });
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(224 * 224 * 3);
    expect(Array.from(x.subarray(0, 3))).toEqual([1, 0, 0]);
    const m = await loadImageForModel(join(root, 'red', 'B.JPG'), { size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(m.length).toBe(32 * 32 * 3);
    for (let i = 0; i < m.length; i++) expect(Math.abs(m[i]! - (i % 3 === 0 ? 1 : -1))).toBeLessThan(2 * JPEG_TOL);
    // The same numbers as the data set's centre view.
    const ds = await imageFolder(root);
    const b = await ds.batch([1]);
    const y = await loadImageForModel(ds.file(1).path, { size: 224 });
    expect(Array.from(y)).toEqual(Array.from(b.images));
  });

  test('missing and corrupt files are named', async () => {
    const missing = join(root, 'missing.jpg');
    await expect(loadImageForModel(missing, { size: 224 })).rejects.toThrow(
      `node-io: cannot read ${missing}: no such file or directory (ENOENT)`,
    );
    const broken = join(corruptRoot, 'cls', 'broken.jpg');
    const error = await loadImageForModel(broken, { size: 224 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as Error).message).toMatch(new RegExp(`^node-io: cannot decode ${broken} \\(\\d+ bytes\\) with sharp`));
  });
});
