// browserImageDecoder and browserFileSource in a real page: headless Chromium (Debian's) through
// @resnet/browser-harness, decoding PNGs made here by hand. Skipped, with the reason, without Chromium.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, runInChromium } from '@resnet/browser-harness';
import { describe, expect, test } from 'vitest';
import { encodePng } from './helpers/png.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = chromiumAvailable();
if (!chromium.available) console.log(`SKIPPED: image decoding in Chromium: ${chromium.reason}`);

interface Plain {
  height: number;
  width: number;
  data: number[];
}
interface PageResult {
  decoder: string;
  exact: Plain;
  rgba: Plain;
  shorter: Plain;
  fixed: Plain;
  corrupt: string;
  brokenError: string;
  batch: { classNames: string[]; labels: number[]; size: number; height: number; width: number; images: number[] };
}

// 4×6 RGB: every pixel different (red = 40·y, green = 40·x, blue = 200).
const gradient = Uint8Array.from({ length: 4 * 6 * 3 }, (_, i) => {
  const p = Math.floor(i / 3);
  return [40 * Math.floor(p / 6), 40 * (p % 6), 200][i % 3]!;
});
// 40×60 solid red, and a 2×2 RGBA image (opaque) whose alpha must be dropped.
const red = Uint8Array.from({ length: 40 * 60 * 3 }, (_, i) => (i % 3 === 0 ? 255 : 0));
const rgba = Uint8Array.of(10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255);

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const IMAGES = { gradient: b64(encodePng(gradient, 4, 6)), red: b64(encodePng(red, 40, 60)), rgba: b64(encodePng(rgba, 2, 2, 4)) };

describe.skipIf(!chromium.available)('browserImageDecoder in headless Chromium', () => {
  let result: Promise<PageResult> | undefined;
  const run = (): Promise<PageResult> =>
    (result ??= runInChromium<PageResult>(path.join(here, 'browser/images_entry.ts'), {
      title: 'images',
      bundle: { define: { IMAGES_TEST: JSON.stringify(IMAGES) } },
    }));

  test('a PNG decodes to its exact RGB bytes (HWC), alpha dropped', async () => {
    const page = await run();
    expect(page.decoder).toBe('createImageBitmap (resizeQuality high)');
    expect(page.exact).toEqual({ height: 4, width: 6, data: Array.from(gradient) });
    expect(page.rgba).toEqual({ height: 2, width: 2, data: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120] });
  }, 180_000);

  test('resizing: shorter side (aspect kept) and exact size; a solid colour stays that colour', async () => {
    const page = await run();
    expect([page.shorter.height, page.shorter.width]).toEqual([20, 30]);
    for (let i = 0; i < page.shorter.data.length; i++)
      expect(Math.abs(page.shorter.data[i]! - (i % 3 === 0 ? 255 : 0))).toBeLessThanOrEqual(1);
    expect([page.fixed.height, page.fixed.width, page.fixed.data.length]).toEqual([3, 5, 45]);
    for (let i = 2; i < 45; i += 3) expect(Math.abs(page.fixed.data[i]! - 200)).toBeLessThanOrEqual(1);
  }, 180_000);

  test('truncated bytes are refused; through the data set the error names the file', async () => {
    const page = await run();
    expect(page.corrupt).not.toBe('decoded');
    expect(page.brokenError).toMatch(
      /^ResNetError: folder:picked: cannot decode picked\/x\/broken\.png \(40 bytes\) with createImageBitmap/,
    );
  }, 180_000);

  test('an image folder of Blobs reads through ImageFolderDataset', async () => {
    const page = await run();
    const { batch } = page;
    expect(batch.classNames).toEqual(['gradient', 'red']);
    expect([batch.size, batch.height, batch.width, batch.images.length]).toEqual([2, 4, 4, 2 * 4 * 4 * 3]);
    expect(batch.labels).toEqual([0, 1]);
    // Example 0: the 4×6 gradient at its own size, centre crop at x = 1: first pixel (0, 40, 200).
    expect(batch.images.slice(0, 3)).toEqual([0, 40, 200]);
    // Example 1: solid red resized to 4×6.
    const second = batch.images.slice(48);
    for (let i = 0; i < second.length; i++) expect(Math.abs(second[i]! - (i % 3 === 0 ? 255 : 0))).toBeLessThanOrEqual(1);
  }, 180_000);
});
