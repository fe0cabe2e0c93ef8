import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FileIOError, readBytes, writeBytesAtomic } from '../src/index.js';
import { listDir, removeTempDirs, tempDir } from './helpers.js';

afterEach(removeTempDirs);

describe('writeBytesAtomic / readBytes', () => {
  test('writes, overwrites and reads back, leaving no temporary files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'data.bin');
    await writeBytesAtomic(path, Uint8Array.of(1, 2, 3));
    expect(Array.from(await readBytes(path))).toEqual([1, 2, 3]);
    await writeBytesAtomic(path, Uint8Array.of(9));
    const back = await readBytes(path);
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Array.from(back)).toEqual([9]);
    expect(await listDir(dir)).toEqual(['data.bin']);
  });

  test('writes only the bytes of a view, not its whole buffer', async () => {
    const dir = await tempDir();
    const path = join(dir, 'view.bin');
    await writeBytesAtomic(path, Uint8Array.of(0, 1, 2, 3, 4).subarray(1, 3));
    expect(Array.from(await readFile(path))).toEqual([1, 2]);
  });

  test('reading a missing file names the path', async () => {
    const dir = await tempDir();
    const path = join(dir, 'missing.bin');
    const error = await readBytes(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileIOError);
    expect((error as FileIOError).code).toBe('ENOENT');
    expect((error as Error).message).toBe(`node-io: cannot read ${path}: no such file or directory (ENOENT)`);
  });

  test('writing into a missing directory names the directory', async () => {
    const dir = await tempDir();
    await expect(writeBytesAtomic(join(dir, 'nope', 'x.bin'), Uint8Array.of(1))).rejects.toThrow(
      `node-io: cannot write ${join(dir, 'nope', 'x.bin')}: the folder ${join(dir, 'nope')} does not exist (ENOENT)`,
    );
  });

  test('a failed rename keeps the old target and removes the temporary file', async () => {
    const dir = await tempDir();
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'inside.txt'), 'kept');
    await expect(writeBytesAtomic(target, Uint8Array.of(1, 2))).rejects.toThrow(
      `node-io: cannot write ${target}: it is a directory (EISDIR)`,
    );
    expect(await listDir(dir)).toEqual(['target']);
    expect(await readFile(join(target, 'inside.txt'), 'utf8')).toBe('kept');
  });
});
