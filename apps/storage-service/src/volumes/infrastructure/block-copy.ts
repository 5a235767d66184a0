import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';

/**
 * The byte copy of a copy migration: both volumes are mapped to this host and the source
 * device's bytes are copied onto the destination device's. Plain node:fs, no backend code:
 * the service must not depend on backend internals (libs/backends has its own sparse copy
 * for its files).
 */

export interface BlockCopyProgress {
  readonly copiedBytes: number;
  readonly totalBytes: number;
  readonly percent: number;
}

export interface BlockCopyOptions {
  /** Device path to read. */
  readonly source: string;
  /** Device path to write; must exist already (never created or truncated here). */
  readonly destination: string;
  /** Bytes to copy (the source volume's size); the destination is at least this big. */
  readonly sizeBytes: number;
  /** Abort between blocks: the promise rejects with an error whose name is 'AbortError'. */
  readonly signal?: AbortSignal;
  /** Called when the copy passes each tenth (10, 20, ... 100 percent), in order, awaited before going on. */
  readonly onProgress?: (progress: BlockCopyProgress) => Promise<void> | void;
}

export interface BlockCopyResult {
  /** Bytes of the source read and compared with the destination (sizeBytes). */
  readonly bytesCompared: number;
  /** Bytes written: only the blocks that differed. */
  readonly bytesWritten: number;
}

/** Bytes compared (and, where they differ, written) at a time: the sparse copy's block. */
export const BLOCK_BYTES = 1024 * 1024;
/**
 * Blocks in flight at once. Reading a hole costs a thread-pool round trip for little work,
 * so a few at a time go several times faster than one (libs/backends measured 4x on a hole
 * file); each block holds a source and a destination buffer, so memory stays at 8 MiB.
 */
export const BLOCKS_IN_FLIGHT = 4;

/**
 * Makes the destination's first sizeBytes equal to the source's.
 *
 * Each block of the source is compared with the same block of the destination and written
 * only when they differ. Comparing rather than skipping zero blocks is what makes a restart
 * safe: a copy resumed after a crash (or onto a reused volume) finds stale data, and a zero
 * block of the source over it must still be written; zeros over zeros (holes of a thin
 * volume) are never written, so the destination stays thin. A repeat of a finished copy
 * writes nothing.
 *
 * 100 percent is reported after the destination's data is synced, so it means "on disk".
 * Both devices are closed on every path; an abort (checked between blocks) rejects with an
 * AbortError and leaves a partial copy, which the next attempt finishes.
 */
export async function copyBlocks(options: BlockCopyOptions): Promise<BlockCopyResult> {
  const { source, destination, sizeBytes, signal, onProgress } = options;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new RangeError(`sizeBytes must be a non-negative integer, not ${String(sizeBytes)}`);
  }
  throwIfAborted(signal);
  const input = await fsp.open(source, 'r');
  try {
    // r+: the destination must exist and is never truncated (O_CREAT/O_TRUNC would hide a
    // missing mapping behind a new regular file, or throw away the data past sizeBytes).
    const output = await fsp.open(destination, 'r+');
    try {
      const [inputStats, outputStats] = await Promise.all([input.stat(), output.stat()]);
      checkDevices(source, inputStats, destination, outputStats, sizeBytes);
      const result = await copyLoop(input, output, options);
      await output.datasync();
      // The last tenth is reported once the data is on disk (a zero-size copy has only this one).
      await onProgress?.({ copiedBytes: sizeBytes, totalBytes: sizeBytes, percent: 100 });
      return result;
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

async function copyLoop(input: fsp.FileHandle, output: fsp.FileHandle, options: BlockCopyOptions): Promise<BlockCopyResult> {
  const { source, destination, sizeBytes, signal, onProgress } = options;
  const sourceBuffers = Array.from({ length: BLOCKS_IN_FLIGHT }, () => Buffer.allocUnsafe(BLOCK_BYTES));
  const destinationBuffers = Array.from({ length: BLOCKS_IN_FLIGHT }, () => Buffer.allocUnsafe(BLOCK_BYTES));
  let bytesWritten = 0;
  let nextTenth = 1;
  for (let start = 0; start < sizeBytes; start += BLOCK_BYTES * BLOCKS_IN_FLIGHT) {
    throwIfAborted(signal);
    const blocks = sourceBuffers.map(async (sourceBuffer, index): Promise<number> => {
      const position = start + index * BLOCK_BYTES;
      if (position >= sizeBytes) return 0;
      const length = Math.min(BLOCK_BYTES, sizeBytes - position);
      const wanted = sourceBuffer.subarray(0, length);
      const present = (destinationBuffers[index] as Buffer).subarray(0, length);
      await Promise.all([readExactly(input, wanted, position, source, sizeBytes), readExactly(output, present, position, destination, sizeBytes)]);
      if (wanted.equals(present)) return 0;
      await writeFully(output, wanted, position, destination);
      return length;
    });
    // allSettled, not all: on a failure the other blocks still own their buffers and the
    // handles, which must not be closed under them.
    const outcomes = await Promise.allSettled(blocks);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      bytesWritten += outcome.value;
    }
    const copiedBytes = Math.min(sizeBytes, start + BLOCK_BYTES * BLOCKS_IN_FLIGHT);
    // Tenths up to 90 here; 100 waits for the sync. One batch may pass several tenths of a
    // small copy: each is still reported, in order, with the bytes copied so far.
    while (nextTenth < 10 && passed(copiedBytes, sizeBytes, nextTenth)) {
      await onProgress?.({ copiedBytes, totalBytes: sizeBytes, percent: nextTenth * 10 });
      nextTenth += 1;
    }
  }
  throwIfAborted(signal);
  return { bytesCompared: sizeBytes, bytesWritten };
}

/** copied/size >= tenth/10, exactly: in doubles, copied * 10 loses precision past 900 TB. */
function passed(copiedBytes: number, sizeBytes: number, tenth: number): boolean {
  return BigInt(copiedBytes) * 10n >= BigInt(tenth) * BigInt(sizeBytes);
}

/**
 * Refuses what would corrupt or lie. Regular files (the file backend, the simulators) have a
 * size to check up front; block devices report 0, so for them a short device shows as a
 * short read instead. The same device on both sides would "succeed" without copying
 * anything, and the caller would then delete the only copy.
 */
function checkDevices(source: string, sourceStats: Stats, destination: string, destinationStats: Stats, sizeBytes: number): void {
  const sameInode = sourceStats.dev === destinationStats.dev && sourceStats.ino === destinationStats.ino;
  const sameBlockDevice = sourceStats.isBlockDevice() && destinationStats.isBlockDevice() && sourceStats.rdev === destinationStats.rdev;
  if (sameInode || sameBlockDevice) {
    throw new Error(`cannot copy ${source} onto ${destination}: both are the same device`);
  }
  if (sourceStats.isFile() && sourceStats.size < sizeBytes) {
    throw new Error(`the source ${source} holds ${sourceStats.size} bytes, fewer than the ${sizeBytes} to copy`);
  }
  if (destinationStats.isFile() && destinationStats.size < sizeBytes) {
    throw new Error(`the destination ${destination} holds ${destinationStats.size} bytes, fewer than the ${sizeBytes} to copy into it`);
  }
}

/** Fills the buffer from `position`; end of device before that is an error, never zero fill. */
async function readExactly(handle: fsp.FileHandle, buffer: Buffer, position: number, path: string, sizeBytes: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) {
      throw new Error(`${path} ends at byte ${position + done}, before the ${sizeBytes} bytes of the copy (short read)`);
    }
    done += bytesRead;
  }
}

async function writeFully(handle: fsp.FileHandle, buffer: Buffer, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten === 0) throw new Error(`a write to ${path} at byte ${position + done} made no progress`);
    done += bytesWritten;
  }
}

/** An AbortError whatever reason the signal was aborted with (that reason is kept as the cause). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const error = new Error('the block copy was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  throw error;
}
