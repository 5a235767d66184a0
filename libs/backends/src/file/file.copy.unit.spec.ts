import { constants } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReflinkUnsupported, sparseCopy, SPARSE_BLOCK_BYTES } from './file.copy';

const MiB = 1024 * 1024;

describe('file backend copies', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-copy-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A sparse file of `size` bytes with `data` written at each offset. */
  async function sparseFile(name: string, size: number, writes: readonly [number, Buffer][]): Promise<string> {
    const path = join(dir, name);
    const handle = await open(path, 'wx');
    try {
      await handle.truncate(size);
      for (const [position, data] of writes) await handle.write(data, 0, data.length, position);
    } finally {
      await handle.close();
    }
    return path;
  }

  it('copies only the blocks that hold data: 64 MiB with 2 blocks of data allocates about 2 MiB', async () => {
    const size = 64 * MiB;
    const src = await sparseFile('src', size, [
      [0, Buffer.alloc(4096, 1)],
      [40 * MiB + 123, Buffer.from('in the middle')],
    ]);
    await sparseCopy(src, join(dir, 'dst'));
    const copy = await stat(join(dir, 'dst'));
    expect(copy.size).toBe(size);
    // Two 1 MiB blocks (plus file-system metadata), nowhere near the 64 MiB of a plain copy.
    expect(copy.blocks * 512).toBeLessThanOrEqual(2 * SPARSE_BLOCK_BYTES + 64 * 1024);
    expect((await readFile(join(dir, 'dst'))).equals(await readFile(src))).toBe(true);
  });

  it('turns written zeros into holes, and still reads the same', async () => {
    const src = await sparseFile('zeros', 4 * MiB, [[0, Buffer.alloc(4 * MiB, 0)]]);
    expect((await stat(src)).blocks * 512).toBeGreaterThanOrEqual(4 * MiB);
    await sparseCopy(src, join(dir, 'dst'));
    const copy = await stat(join(dir, 'dst'));
    expect(copy.size).toBe(4 * MiB);
    expect(copy.blocks).toBe(0);
    expect((await readFile(join(dir, 'dst'))).equals(Buffer.alloc(4 * MiB))).toBe(true);
  });

  it('keeps a ragged tail (a size that is no multiple of the block) and its last byte', async () => {
    const size = 3 * MiB + 512;
    const src = await sparseFile('ragged', size, [[size - 1, Buffer.from([0xab])]]);
    await sparseCopy(src, join(dir, 'dst'));
    const copy = await readFile(join(dir, 'dst'));
    expect(copy.length).toBe(size);
    expect(copy[size - 1]).toBe(0xab);
    expect(copy.equals(await readFile(src))).toBe(true);
  });

  it('copies an empty file, keeps the permission bits, and never overwrites an existing target', async () => {
    const src = join(dir, 'empty');
    await writeFile(src, '', { mode: 0o640 });
    await sparseCopy(src, join(dir, 'dst'));
    const copy = await stat(join(dir, 'dst'));
    expect(copy.size).toBe(0);
    expect(copy.mode & 0o777).toBe(0o640);
    await expect(sparseCopy(src, join(dir, 'dst'))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('treats the errnos of a file system without reflink as "unsupported", and real failures not', async () => {
    // What this machine's own file system says to FICLONE_FORCE, when it cannot reflink.
    await writeFile(join(dir, 'a'), 'x');
    const outcome = await copyFile(join(dir, 'a'), join(dir, 'b'), constants.COPYFILE_FICLONE_FORCE).then(
      () => 'reflinked',
      (error: unknown) => error,
    );
    if (outcome !== 'reflinked') expect(isReflinkUnsupported(outcome)).toBe(true);
    for (const code of ['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']) {
      expect(isReflinkUnsupported(Object.assign(new Error(code), { code }))).toBe(true);
    }
    for (const code of ['EIO', 'ENOSPC', 'EACCES', undefined]) {
      expect(isReflinkUnsupported(Object.assign(new Error(String(code)), { code }))).toBe(false);
    }
  });
});
