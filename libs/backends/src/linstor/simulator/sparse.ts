import { constants } from 'node:fs';
import { copyFile, open, stat, truncate } from 'node:fs/promises';

const BLOCK = 1024 * 1024;

/**
 * Copies a volume file keeping it sparse: a reflink where the file system has them
 * (COPYFILE_FICLONE_FORCE), else a copy that writes only the non-zero 1 MiB blocks into a
 * destination truncated to the source's size. The destination keeps its inode (it is
 * opened, not replaced), so a device path handed out earlier still sees the new content.
 */
export async function sparseCopy(source: string, destination: string): Promise<void> {
  try {
    await copyFile(source, destination, constants.COPYFILE_FICLONE_FORCE);
    return;
  } catch {
    // No reflink here (ext4, tmpfs, overlay...): fall through to the sparse copy.
  }
  const size = (await stat(source)).size;
  const input = await open(source, 'r');
  const output = await open(destination, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    await output.truncate(0);
    await output.truncate(size);
    const buffer = Buffer.alloc(BLOCK);
    for (let offset = 0; offset < size; offset += BLOCK) {
      const { bytesRead } = await input.read(buffer, 0, Math.min(BLOCK, size - offset), offset);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (chunk.some((byte) => byte !== 0)) await output.write(chunk, 0, bytesRead, offset);
    }
  } finally {
    await input.close();
    await output.close();
  }
}

/** Creates (or grows/shrinks) a sparse file of exactly `bytes`. */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  await handle.close();
  await truncate(path, bytes);
}

/** Bytes the file really occupies (its allocated blocks), 0 when it is missing. */
export async function allocatedBytes(path: string): Promise<number> {
  try {
    return (await stat(path)).blocks * 512;
  } catch {
    return 0;
  }
}
