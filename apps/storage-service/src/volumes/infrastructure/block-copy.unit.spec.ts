import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_BYTES, BLOCKS_IN_FLIGHT, copyBlocks, type BlockCopyProgress } from './block-copy';

const MiB = 2 ** 20;

let dir: string;
/**
 * Every handle opened during a test, kept referenced: an unreachable FileHandle is closed by
 * the garbage collector, which would hide a leak from openFiles in a test that allocates a lot.
 */
let opened: fsp.FileHandle[];

beforeEach(async () => {
  // realpath: /proc/self/fd shows resolved paths, which openFiles compares with.
  dir = await fsp.realpath(await fsp.mkdtemp(join(tmpdir(), 'strata-block-copy-')));
  opened = [];
  // The module object itself (the import above is a copy made by the CommonJS interop).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const promises = require('node:fs/promises') as typeof fsp;
  const open = promises.open;
  jest.spyOn(promises, 'open').mockImplementation(async (...args: Parameters<typeof open>) => {
    const handle = await open(...args);
    opened.push(handle);
    return handle;
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A sparse file of `size` bytes, like the file backend's and the simulators' volumes. */
async function sparse(name: string, size: number): Promise<string> {
  const path = join(dir, name);
  const handle = await fsp.open(path, 'w');
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  return path;
}

async function writeAt(path: string, position: number, data: Buffer): Promise<void> {
  const handle = await fsp.open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, position);
  } finally {
    await handle.close();
  }
}

/** Non-zero bytes everywhere (randomBytes may produce a zero byte, never a zero MiB). */
function data(length: number, fill?: number): Buffer {
  return fill === undefined ? randomBytes(length) : Buffer.alloc(length, fill);
}

async function bytes(path: string, start = 0, end?: number): Promise<Buffer> {
  const content = await fsp.readFile(path);
  return content.subarray(start, end);
}

/** What this process still has open under the test directory (Linux: /proc/self/fd). */
async function openFiles(): Promise<string[]> {
  const targets = await Promise.all(
    (await fsp.readdir('/proc/self/fd')).map((fd) => fsp.readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(dir));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the copy to fail');
}

/** The FileHandle class's prototype, to watch reads, writes and syncs of the real files. */
async function fileHandlePrototype(): Promise<fsp.FileHandle> {
  const handle = await fsp.open(dir, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as fsp.FileHandle;
}

describe('copyBlocks', () => {
  it('copies the first sizeBytes onto a fresh destination, a size that is not a multiple of the block, leaving the destination\'s tail', async () => {
    const sizeBytes = 9 * MiB + 12_345; // three batches of four blocks, the last block partial
    const source = await sparse('source.raw', sizeBytes + MiB);
    const destination = await sparse('destination.raw', sizeBytes + 2 * MiB);
    await writeAt(source, 0, data(MiB));
    await writeAt(source, 5 * MiB + 100, data(MiB)); // straddles blocks 5 and 6
    await writeAt(source, 9 * MiB, data(12_345)); // the partial last block
    await writeAt(source, sizeBytes, data(MiB)); // past sizeBytes: not to be copied
    const tail = data(100, 0x5a);
    await writeAt(destination, sizeBytes, tail);

    const result = await copyBlocks({ source, destination, sizeBytes });

    expect(result).toEqual({ bytesCompared: sizeBytes, bytesWritten: MiB + 2 * MiB + 12_345 });
    expect((await bytes(destination, 0, sizeBytes)).equals(await bytes(source, 0, sizeBytes))).toBe(true);
    expect((await bytes(destination, sizeBytes, sizeBytes + 100)).equals(tail)).toBe(true);
    expect((await fsp.stat(destination)).size).toBe(sizeBytes + 2 * MiB);
    expect(await openFiles()).toEqual([]);
  });

  it('over a stale destination writes only the blocks that differ, zeros over stale data included; a repeat writes nothing', async () => {
    const sizeBytes = 6 * MiB;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    const same = data(MiB);
    await writeAt(source, 0, same); // block 0: already copied before the "crash"
    await writeAt(destination, 0, same);
    await writeAt(destination, MiB, data(MiB)); // block 1: a hole in the source over stale data
    await writeAt(source, 2 * MiB, data(MiB)); // block 2: data over other stale data
    await writeAt(destination, 2 * MiB, data(MiB));
    await writeAt(destination, 4 * MiB + 17, data(1)); // block 4: one stale byte in zeros
    // Block 3 and 5: zeros over zeros.

    expect(await copyBlocks({ source, destination, sizeBytes })).toEqual({ bytesCompared: sizeBytes, bytesWritten: 3 * MiB });
    expect((await bytes(destination)).equals(await bytes(source))).toBe(true);
    expect(await copyBlocks({ source, destination, sizeBytes })).toEqual({ bytesCompared: sizeBytes, bytesWritten: 0 });
  });

  it('keeps holes: a 64 MiB thin source holding 1 MiB of data leaves the destination about 1 MiB allocated', async () => {
    const sizeBytes = 64 * MiB;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    await writeAt(source, 40 * MiB, data(MiB));
    const allocated = async (path: string): Promise<number> => (await fsp.stat(path)).blocks * 512;
    // The file system keeps holes, or this test would prove nothing.
    expect(await allocated(source)).toBeLessThan(2 * MiB);
    expect(await allocated(destination)).toBeLessThan(MiB);

    expect(await copyBlocks({ source, destination, sizeBytes })).toEqual({ bytesCompared: sizeBytes, bytesWritten: MiB });

    expect(await allocated(destination)).toBeLessThan(2 * MiB);
    expect((await bytes(destination)).equals(await bytes(source))).toBe(true);
  });

  it('follows symlinks to sparse files, as the simulators\' devices are, and leaves the links links', async () => {
    const sizeBytes = 3 * MiB + 1;
    const sourceFile = await sparse('source.raw', sizeBytes);
    const destinationFile = await sparse('destination.raw', sizeBytes);
    await writeAt(sourceFile, MiB, data(MiB));
    const source = join(dir, 'source-device');
    const destination = join(dir, 'destination-device');
    await fsp.symlink(sourceFile, source);
    await fsp.symlink(destinationFile, destination);

    await copyBlocks({ source, destination, sizeBytes });

    expect((await fsp.lstat(destination)).isSymbolicLink()).toBe(true);
    expect((await bytes(destinationFile)).equals(await bytes(sourceFile))).toBe(true);
  });

  it(`reads a few blocks of each side at once, never more than ${BLOCKS_IN_FLIGHT}`, async () => {
    const sizeBytes = 16 * MiB;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    const prototype = await fileHandlePrototype();
    const read = prototype.read;
    const inFlight = new Map<unknown, number>();
    let most = 0;
    jest.spyOn(prototype, 'read').mockImplementation(async function (this: fsp.FileHandle, ...args: unknown[]) {
      const now = (inFlight.get(this) ?? 0) + 1;
      inFlight.set(this, now);
      most = Math.max(most, now);
      try {
        return await (read as (...a: unknown[]) => Promise<fsp.FileReadResult<Buffer>>).apply(this, args);
      } finally {
        inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
      }
    } as typeof read);

    await copyBlocks({ source, destination, sizeBytes });

    expect(inFlight.size).toBe(2);
    expect(most).toBe(BLOCKS_IN_FLIGHT);
    expect(BLOCK_BYTES).toBe(MiB);
  });

  it('refuses a source shorter than sizeBytes, naming it, without zero-filling anything', async () => {
    const source = await sparse('short-source.raw', 2 * MiB);
    const destination = await sparse('destination.raw', 4 * MiB);
    const stale = data(4 * MiB);
    await writeAt(destination, 0, stale);

    const error = await rejection(copyBlocks({ source, destination, sizeBytes: 4 * MiB }));

    expect(error.message).toContain(source);
    expect((await bytes(destination)).equals(stale)).toBe(true);
    expect(await openFiles()).toEqual([]);
  });

  it('a source that ends early while being read (a short read) is an error naming it, not zero fill', async () => {
    const sizeBytes = 20 * MiB;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    await writeAt(source, 0, data(sizeBytes));
    const error = await rejection(
      copyBlocks({
        source,
        destination,
        sizeBytes,
        // As a block device that is smaller than the volume said it was: it ends mid-copy.
        onProgress: async ({ percent }) => {
          if (percent === 20) await fsp.truncate(source, 10 * MiB + 5);
        },
      }),
    );
    expect(error.message).toContain(source);
    expect(error.message).toContain(`ends at byte ${10 * MiB + 5}`);
    expect(error.message).toContain('short read');
    // Nothing past where the source ended was written (as zeros or otherwise).
    expect((await bytes(destination, 10 * MiB + 5)).equals(Buffer.alloc(sizeBytes - 10 * MiB - 5))).toBe(true);
    expect(await openFiles()).toEqual([]);
  });

  it('never creates, grows or truncates the destination: missing or too small is an error naming it', async () => {
    const source = await sparse('source.raw', 2 * MiB);
    await writeAt(source, 0, data(2 * MiB));
    const missing = join(dir, 'missing.raw');
    const missingError = await rejection(copyBlocks({ source, destination: missing, sizeBytes: 2 * MiB }));
    expect(missingError.message).toContain(missing);
    await expect(fsp.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });

    const small = await sparse('small.raw', MiB);
    const smallError = await rejection(copyBlocks({ source, destination: small, sizeBytes: 2 * MiB }));
    expect(smallError.message).toContain(small);
    expect((await fsp.stat(small)).size).toBe(MiB);
    expect((await bytes(small)).equals(Buffer.alloc(MiB))).toBe(true);
    expect(await openFiles()).toEqual([]);
  });

  it('refuses to copy a device onto itself, by path or through a symlink', async () => {
    const file = await sparse('volume.raw', MiB);
    const link = join(dir, 'device');
    await fsp.symlink(file, link);
    for (const destination of [file, link]) {
      const error = await rejection(copyBlocks({ source: file, destination, sizeBytes: MiB }));
      expect(error.message).toContain('same device');
    }
    expect(await openFiles()).toEqual([]);
  });

  it('reports each tenth once and in order, awaiting each before reading on, and 100 only once the data is synced', async () => {
    const sizeBytes = 40 * MiB + 1;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    await writeAt(source, 0, data(sizeBytes));
    const prototype = await fileHandlePrototype();
    const events: string[] = [];
    let inCallback = false;
    const read = prototype.read;
    const datasync = prototype.datasync;
    jest.spyOn(prototype, 'read').mockImplementation(function (this: fsp.FileHandle, ...args: unknown[]) {
      if (inCallback) events.push('read during a progress call');
      return (read as (...a: unknown[]) => Promise<fsp.FileReadResult<Buffer>>).apply(this, args);
    } as typeof read);
    jest.spyOn(prototype, 'datasync').mockImplementation(function (this: fsp.FileHandle) {
      events.push('datasync');
      return datasync.call(this);
    });
    const reports: BlockCopyProgress[] = [];

    await copyBlocks({
      source,
      destination,
      sizeBytes,
      onProgress: async (progress) => {
        inCallback = true;
        reports.push(progress);
        events.push(`${progress.percent}%`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inCallback = false;
      },
    });

    expect(reports.map((r) => r.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(events).toEqual(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', 'datasync', '100%']);
    for (const [index, report] of reports.entries()) {
      expect(report.totalBytes).toBe(sizeBytes);
      expect(report.copiedBytes / sizeBytes).toBeGreaterThanOrEqual(report.percent / 100);
      if (index > 0) expect(report.copiedBytes).toBeGreaterThanOrEqual((reports[index - 1] as BlockCopyProgress).copiedBytes);
    }
    expect(reports.at(-1)).toEqual({ copiedBytes: sizeBytes, totalBytes: sizeBytes, percent: 100 });
  });

  it('reports every tenth even when one batch passes them all, and just 100 for a zero-size copy', async () => {
    const source = await sparse('source.raw', MiB + 7);
    const destination = await sparse('destination.raw', MiB + 7);
    const small: number[] = [];
    await copyBlocks({ source, destination, sizeBytes: MiB + 7, onProgress: ({ percent }) => void small.push(percent) });
    expect(small).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);

    const empty: BlockCopyProgress[] = [];
    const result = await copyBlocks({ source, destination, sizeBytes: 0, onProgress: (progress) => void empty.push(progress) });
    expect(result).toEqual({ bytesCompared: 0, bytesWritten: 0 });
    expect(empty).toEqual([{ copiedBytes: 0, totalBytes: 0, percent: 100 }]);
  });

  it('an already aborted signal rejects with an AbortError before anything is opened', async () => {
    const source = await sparse('source.raw', MiB);
    const destination = await sparse('destination.raw', MiB);
    await writeAt(source, 0, data(MiB));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    const openedBefore = opened.length;

    const error = await rejection(copyBlocks({ source, destination, sizeBytes: MiB, signal: controller.signal }));

    expect(opened).toHaveLength(openedBefore);
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(reason);
    expect((await bytes(destination)).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('aborting between blocks rejects with an AbortError, writes no further block, and closes both files', async () => {
    const sizeBytes = 40 * MiB;
    const source = await sparse('source.raw', sizeBytes);
    const destination = await sparse('destination.raw', sizeBytes);
    await writeAt(source, 0, data(sizeBytes));
    const controller = new AbortController();
    const seen: number[] = [];

    const error = await rejection(
      copyBlocks({
        source,
        destination,
        sizeBytes,
        signal: controller.signal,
        onProgress: ({ percent }) => {
          seen.push(percent);
          if (percent === 30) controller.abort();
        },
      }),
    );

    expect(error.name).toBe('AbortError');
    expect(seen).toEqual([10, 20, 30]);
    // 30 % is reported after the batch that reached 12 MiB; nothing after it was written.
    const copied = 3 * BLOCKS_IN_FLIGHT * MiB;
    expect((await bytes(destination, 0, copied)).equals(await bytes(source, 0, copied))).toBe(true);
    expect((await bytes(destination, copied)).equals(Buffer.alloc(sizeBytes - copied))).toBe(true);
    expect(await openFiles()).toEqual([]);
  });

  it('closes both files when a progress call fails, and rejects with its error', async () => {
    const source = await sparse('source.raw', 8 * MiB);
    const destination = await sparse('destination.raw', 8 * MiB);
    const failure = new Error('the event store is down');
    const error = await rejection(
      copyBlocks({
        source,
        destination,
        sizeBytes: 8 * MiB,
        onProgress: () => {
          throw failure;
        },
      }),
    );
    expect(error).toBe(failure);
    expect(await openFiles()).toEqual([]);
  });

  it('refuses a size that is not a non-negative integer', async () => {
    const file = await sparse('volume.raw', MiB);
    for (const sizeBytes of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await expect(copyBlocks({ source: file, destination: file, sizeBytes })).rejects.toBeInstanceOf(RangeError);
    }
  });
});
