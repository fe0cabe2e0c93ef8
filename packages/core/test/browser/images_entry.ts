// Runs in headless Chromium: decodes the PNGs the test made (passed in through esbuild's define)
// with the browser's own codecs, and reads a small image folder through ImageFolderDataset.
import { ImageFolderDataset, browserFileSource, browserImageDecoder, type DecodedImage } from '../../src/data/images/index.js';

declare const IMAGES_TEST: Record<string, string>;

function bytes(name: string): Uint8Array<ArrayBuffer> {
  const text = atob(IMAGES_TEST[name]!);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const plain = (image: DecodedImage): { height: number; width: number; data: number[] } => ({
  height: image.height,
  width: image.width,
  data: Array.from(image.data),
});

(globalThis as unknown as Record<string, unknown>)['__harnessResult'] = (async () => {
  const decoder = browserImageDecoder();
  const exact = plain(await decoder.decode(bytes('gradient')));
  const rgba = plain(await decoder.decode(bytes('rgba')));
  const shorter = plain(await decoder.decode(bytes('red'), { shorterSide: 20 }));
  const fixed = plain(await decoder.decode(bytes('gradient'), { height: 3, width: 5 }));
  const corrupt = await decoder.decode(bytes('gradient').subarray(0, 40)).then(
    () => 'decoded',
    (e: unknown) => String(e),
  );
  const source = browserFileSource([
    { path: 'picked/red/a.png', file: new Blob([bytes('red')]) },
    { path: 'picked/gradient/b.png', file: new Blob([bytes('gradient')]) },
  ]);
  const dataset = new ImageFolderDataset(source, decoder, { cropSize: 4, evalResize: 4, scale: 1 });
  const batch = await dataset.batch([0, 1]);
  const broken = new ImageFolderDataset(
    browserFileSource([{ path: 'picked/x/broken.png', file: new Blob([bytes('gradient').subarray(0, 40)]) }]),
    decoder,
    { cropSize: 4, evalResize: 4 },
  );
  const brokenError = await broken.batch([0]).then(
    () => 'decoded',
    (e: unknown) => String(e),
  );
  return {
    decoder: decoder.name,
    exact,
    rgba,
    shorter,
    fixed,
    corrupt,
    brokenError,
    batch: {
      classNames: [...dataset.classNames],
      labels: Array.from(batch.labels),
      size: batch.size,
      height: batch.height,
      width: batch.width,
      images: Array.from(batch.images),
    },
  };
})();
