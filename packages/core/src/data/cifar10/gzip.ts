/**
 * gzip decompression with the web-standard DecompressionStream (a global in browsers and Node 20),
 * so `cifar-10-binary.tar.gz` can be opened from bytes anywhere without a zlib dependency. The
 * output is preallocated from the gzip trailer's size field, so the 180 MB archive is not copied
 * chunk by chunk into a second buffer.
 */
import { ResNetError } from '../../errors.js';

/** Decompresses a gzip file (every member, if there are several). `name` is for messages. */
export async function gunzip(bytes: Uint8Array, name = 'gzip data'): Promise<Uint8Array> {
  if (bytes.length === 0) throw new ResNetError(`gzip: ${name} is empty`);
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    const head = Array.from(bytes.subarray(0, 2), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ResNetError(
      `gzip: ${name} is not gzip data: expected the magic bytes 1f 8b and at least 18 bytes, got ${head} and ${bytes.length} bytes`,
    );
  }
  if (typeof DecompressionStream !== 'function') {
    throw new ResNetError(
      `gzip: cannot decompress ${name}: this runtime has no DecompressionStream (Node 18+ and current browsers have it)`,
    );
  }
  // ISIZE, the last four bytes: the uncompressed size mod 2^32 (of the last member). A hint only,
  // bounded by deflate's best ratio (about 1032:1) so a corrupt trailer cannot ask for gigabytes.
  const tail = bytes.length - 4;
  const isize = (bytes[tail]! | (bytes[tail + 1]! << 8) | (bytes[tail + 2]! << 16) | (bytes[tail + 3]! << 24)) >>> 0;
  let out = new Uint8Array(Math.min(isize, 1032 * bytes.length, 2 ** 30));
  let length = 0;

  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  // The same error reaches the reader below; this only keeps it from being reported as unhandled.
  // (The cast: DOM's types want an ArrayBuffer-backed view; the stream copies what it is given.)
  writer
    .write(bytes as Uint8Array<ArrayBuffer>)
    .then(() => writer.close())
    .catch(() => undefined);
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > out.length) {
        const grown = new Uint8Array(Math.max(2 * out.length, length + value.length));
        grown.set(out.subarray(0, length));
        out = grown;
      }
      out.set(value, length);
      length += value.length;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ResNetError(`gzip: cannot decompress ${name} (${bytes.length} bytes): ${reason}; the file is truncated or corrupt`);
  }
  return length === out.length ? out : out.subarray(0, length);
}
