// An IDX file of unsigned bytes as the MNIST family distributes them (LeCun's format: magic
// 0x00 0x00 0x08 <rank>, each dimension as a big-endian uint32, then the data), for the tests of
// every package that reads them.
export function idxFile(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
