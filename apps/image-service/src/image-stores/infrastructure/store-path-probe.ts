import { constants } from 'node:fs';
import { access, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type StorePathProbe = { readonly ok: true; readonly capacityBytes: number; readonly freeBytes: number } | { readonly ok: false; readonly reason: string };

/**
 * Whether a directory can hold templates: it exists, is a directory, takes a file (a real
 * write, since access() trusts the mode bits and a read-only mount or root squash shows only
 * then); and its file system's capacity and free space.
 */
export async function probeStorePath(dir: string): Promise<StorePathProbe> {
  try {
    if (!(await stat(dir)).isDirectory()) return { ok: false, reason: 'is not a directory' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})` };
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    const probe = path.join(dir, `.strata-write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    return { ok: false, reason: `is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const fs = await statfs(dir);
  return { ok: true, capacityBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
}
