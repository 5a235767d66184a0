import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocatedBytes, scanCopy, setLength, sparseCopy, sparseFile } from './sparse-files';

describe('sparse image files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-sparse-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a file of the size asked without allocating it, and resizes it keeping its data', async () => {
    const path = join(dir, 'v.raw');
    await sparseFile(path, 256 * 2 ** 20);
    expect((await stat(path)).size).toBe(256 * 2 ** 20);
    expect(await allocatedBytes(path)).toBeLessThan(2 ** 20);
    await writeFile(path, Buffer.from('keep me'), { flag: 'r+' });
    await sparseFile(path, 512 * 2 ** 20);
    expect((await readFile(path)).subarray(0, 7).toString()).toBe('keep me');
    await setLength(path, 4096);
    expect((await stat(path)).size).toBe(4096);
  });

  it.each([
    ['the best method available', sparseCopy],
    ['a block scan', scanCopy],
  ])('copies with %s: same bytes, holes kept', async (_, copy) => {
    const src = join(dir, 'src.raw');
    await sparseFile(src, 64 * 2 ** 20);
    await writeFile(src, Buffer.alloc(4096, 7), { flag: 'r+' });
    const dst = join(dir, 'dst.raw');
    await copy(src, dst);
    expect(Buffer.compare(await readFile(dst), await readFile(src))).toBe(0);
    expect(await allocatedBytes(dst)).toBeLessThan(4 * 2 ** 20);
  });
});
