import { execFile } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * qemu-img, run as a program (execFile: no shell, so a path is never interpreted). Both
 * calls name the format: qemu-img never probes it, so a raw file that looks like a QCOW2
 * header cannot make it read some other file as a backing image.
 */

const run = promisify(execFile);
/** qemu-img's own JSON and errors are small; a converted volume's progress is not asked for. */
const MAX_OUTPUT = 1024 * 1024;

export type DiskImageFormat = 'qcow2' | 'raw';

/** A qemu-img run that failed, with what it said (stderr), for the caller's error. */
export class DiskImageError extends Error {
  override readonly name = 'DiskImageError';
}

/** The image's virtual size (the guest-visible bytes), as `qemu-img info` reads it. */
export async function imageVirtualSize(path: string, format: DiskImageFormat): Promise<number> {
  let stdout: string;
  try {
    ({ stdout } = await run('qemu-img', ['info', '--output=json', '-f', format, path], { maxBuffer: MAX_OUTPUT }));
  } catch (error) {
    throw new DiskImageError(reasonOf(error));
  }
  const size = (JSON.parse(stdout) as { 'virtual-size'?: unknown })['virtual-size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new DiskImageError(`qemu-img info gave no virtual size for ${path}`);
  return size;
}

/**
 * Writes the image's guest bytes onto an existing device or file (`-n`: the target is not
 * created). Output stays raw; qemu-img skips zero blocks on a raw target by default, so a
 * thin target stays thin. The target must be at least the image's virtual size.
 */
export async function convertImageOnto(path: string, format: DiskImageFormat, target: string, signal?: AbortSignal): Promise<void> {
  try {
    await run('qemu-img', ['convert', '-n', '-f', format, '-O', 'raw', path, target], { maxBuffer: MAX_OUTPUT, signal });
  } catch (error) {
    throw new DiskImageError(reasonOf(error));
  }
}

/**
 * Writes a raw device's (or file's) bytes into a new image file of the format: into
 * `<path>.part`, renamed to the path once whole, so a crash never leaves half a file under
 * the final name (a repeat overwrites the partial one). Returns the file's size in bytes.
 */
export async function convertDeviceToImage(device: string, path: string, format: DiskImageFormat, signal?: AbortSignal): Promise<number> {
  const part = `${path}.part`;
  try {
    await run('qemu-img', ['convert', '-f', 'raw', '-O', format, device, part], { maxBuffer: MAX_OUTPUT, signal });
  } catch (error) {
    await rm(part, { force: true }).catch(() => undefined);
    throw new DiskImageError(reasonOf(error));
  }
  await rename(part, path);
  return (await stat(path)).size;
}

function reasonOf(error: unknown): string {
  const e = error as { stderr?: string; message?: string; code?: unknown };
  if (e.code === 'ENOENT' && !e.stderr) return 'qemu-img is not installed on this host';
  const said = (e.stderr ?? '').trim();
  return said || e.message || String(error);
}
