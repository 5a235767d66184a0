import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { zstdCompress, zstdDecompress } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { isDomainError } from '@strata/kernel';
import { BackupDataErrors, CHUNK_ID, isChunkMissing } from './chunk-errors';
import {
  BackupEngine,
  type BackupManifest,
  type BackupResult,
  type BackupRun,
  type ChunkStore,
  type Progress,
  type RestoreRun,
  type VerifyResult,
} from './ports';

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

export const DEFAULT_CHUNK_SIZE_BYTES = 4 * 1024 * 1024;
/** Chunks hashed, compressed and sent at once: enough to keep a remote store busy, few enough to bound memory (about this many chunks plus one). */
const CONCURRENCY = 4;
/** Progress is reported each time another 5 % is done (and at the end). */
const PROGRESS_STEPS = 20;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The data path: a volume is cut into fixed-size chunks named by the sha256 of their bytes,
 * so a chunk any earlier backup (of any volume) stored on the target is not written again,
 * and all-zero chunks (the unwritten parts of a sparse volume) are not stored at all. Chunks
 * are kept zstd-compressed; the manifest lists them in order.
 */
@Injectable()
export class ChunkEngine extends BackupEngine {
  concurrency = CONCURRENCY;

  async backup(run: BackupRun): Promise<BackupResult> {
    const { store, sizeBytes, chunkSizeBytes } = run;
    if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes <= 0) throw new RangeError(`chunkSizeBytes must be a positive integer, got ${chunkSizeBytes}`);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError(`sizeBytes must be a non-negative integer, got ${sizeBytes}`);
    const count = Math.ceil(sizeBytes / chunkSizeBytes);
    const chunks: (string | null)[] = new Array<string | null>(count).fill(null);
    const tally = { newChunks: 0, reusedChunks: 0, zeroChunks: 0, bytesWritten: 0 };
    const zeros = Buffer.alloc(Math.min(chunkSizeBytes, sizeBytes));
    // Chunks of this run by id: a repeated chunk waits for its first copy instead of storing it twice.
    const handled = new Map<string, Promise<void>>();
    const progress = new ProgressReporter(sizeBytes, run.onProgress);

    const storeChunk = async (index: number, data: Buffer): Promise<void> => {
      if (data.equals(zeros.subarray(0, data.length))) {
        tally.zeroChunks++;
        return;
      }
      const id = sha256(data);
      chunks[index] = id;
      const first = handled.get(id);
      if (first) {
        await first;
        tally.reusedChunks++;
        return;
      }
      const work = (async () => {
        if (await store.hasChunk(id)) {
          tally.reusedChunks++;
          return;
        }
        const compressed = await compress(data);
        await store.putChunk(id, compressed);
        tally.newChunks++;
        tally.bytesWritten += compressed.length;
      })();
      handled.set(id, work);
      await work;
    };

    // Read sequentially (devices read best that way); hand each chunk to a bounded set of tasks.
    const source = await open(run.sourcePath, 'r');
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    try {
      for (let index = 0; index < count && !failure; index++) {
        run.signal?.throwIfAborted();
        const offset = index * chunkSizeBytes;
        const length = Math.min(chunkSizeBytes, sizeBytes - offset);
        const data = await readFully(source, length, offset);
        const task: Promise<void> = storeChunk(index, data)
          .then(
            () => progress.add(length),
            (error: unknown) => void (failure ??= { error }),
          )
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
        while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
      }
    } finally {
      // Never leave tasks writing after we return or throw.
      await Promise.allSettled(inFlight);
      await source.close();
    }
    if (failure) throw failure.error;
    run.signal?.throwIfAborted();
    await progress.flush();

    const manifest: BackupManifest = {
      formatVersion: 1,
      backupId: run.backupId,
      volumeId: run.volumeId,
      parentBackupId: run.parentBackupId,
      kind: run.kind,
      sizeBytes,
      chunkSizeBytes,
      compression: 'zstd',
      chunks,
      createdAt: run.createdAt,
    };
    const body = Buffer.from(JSON.stringify(manifest), 'utf8');
    await store.putManifest(run.backupId, body);
    tally.bytesWritten += body.length;

    // What was written is read back before the backup counts as done.
    const check = await this.verify(run.backupId, store, run.signal);
    if (!check.ok) throw BackupDataErrors.corrupt(run.backupId, check.badChunks);
    return { chunks: count, ...tally, manifestSha256: sha256(body) };
  }

  async restore(run: RestoreRun): Promise<BackupManifest> {
    const { store, backupId } = run;
    const manifest = await this.readManifest(backupId, store);
    if (!manifest) throw BackupDataErrors.manifestMissing(backupId);
    const { sizeBytes, chunkSizeBytes } = manifest;
    const progress = new ProgressReporter(sizeBytes, run.onProgress);
    const zeros = run.writeZeros ? Buffer.alloc(Math.min(chunkSizeBytes, sizeBytes)) : null;
    // r+: a device cannot be truncated, and an existing file keeps what lies past the backup.
    const target = await open(run.targetPath, 'r+');
    try {
      const stat = await target.stat();
      // A file standing in for a volume gets the volume's size (sparse), so unwritten zero chunks read as zeros.
      if (stat.isFile() && stat.size < sizeBytes) await target.truncate(sizeBytes);
      await bounded(manifest.chunks.length, this.concurrency, async (index) => {
        run.signal?.throwIfAborted();
        const id = manifest.chunks[index];
        const offset = index * chunkSizeBytes;
        const length = Math.min(chunkSizeBytes, sizeBytes - offset);
        if (id === null) {
          if (zeros) await writeFully(target, zeros.subarray(0, length), offset);
        } else {
          const data = await this.loadChunk(backupId, id, store);
          if (data.length !== length) throw BackupDataErrors.corrupt(backupId, [id]);
          await writeFully(target, data, offset);
        }
        progress.add(length);
      });
      await progress.flush();
      await target.sync();
    } finally {
      await target.close();
    }
    return manifest;
  }

  async verify(backupId: string, store: ChunkStore, signal?: AbortSignal): Promise<VerifyResult> {
    let manifest: BackupManifest | null;
    try {
      manifest = await this.readManifest(backupId, store);
    } catch (error) {
      if (isDomainError(error) && error.code === 'backup.manifest_unreadable') return { ok: false, chunksChecked: 0, badChunks: ['manifest'] };
      throw error;
    }
    if (!manifest) return { ok: false, chunksChecked: 0, badChunks: ['manifest'] };
    const ids = [...new Set(manifest.chunks.filter((id): id is string => id !== null))];
    const bad: string[] = [];
    await bounded(ids.length, this.concurrency, async (i) => {
      signal?.throwIfAborted();
      try {
        await this.loadChunk(backupId, ids[i], store);
      } catch (error) {
        if (isDomainError(error) && error.code === 'backup.corrupt') bad.push(ids[i]);
        else throw error;
      }
    });
    return { ok: bad.length === 0, chunksChecked: ids.length, badChunks: bad.sort() };
  }

  async readManifest(backupId: string, store: ChunkStore): Promise<BackupManifest | null> {
    const body = await store.getManifest(backupId);
    if (body === null) return null;
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(body.toString('utf8')) as BackupManifest;
    } catch {
      throw BackupDataErrors.manifestUnreadable(backupId, 'not JSON');
    }
    const problem = manifestProblem(manifest, backupId);
    if (problem) throw BackupDataErrors.manifestUnreadable(backupId, problem);
    return manifest;
  }

  /** A chunk's bytes, checked against its name: missing, undecodable or different content is corruption. */
  private async loadChunk(backupId: string, id: string, store: ChunkStore): Promise<Buffer> {
    let compressed: Buffer;
    try {
      compressed = await store.getChunk(id);
    } catch (error) {
      if (isChunkMissing(error)) throw BackupDataErrors.corrupt(backupId, [id]);
      throw error;
    }
    let data: Buffer;
    try {
      data = await decompress(compressed);
    } catch {
      throw BackupDataErrors.corrupt(backupId, [id]);
    }
    if (sha256(data) !== id) throw BackupDataErrors.corrupt(backupId, [id]);
    return data;
  }
}

/** Why a parsed manifest cannot be used, or null. */
function manifestProblem(m: BackupManifest, backupId: string): string | null {
  if (typeof m !== 'object' || m === null) return 'not an object';
  if (m.formatVersion !== 1) return `format version ${String(m.formatVersion)} is not supported`;
  if (m.backupId !== backupId) return `it names backup ${String(m.backupId)}`;
  if (m.compression !== 'zstd') return `compression ${String(m.compression)} is not supported`;
  if (!Number.isSafeInteger(m.sizeBytes) || m.sizeBytes < 0 || !Number.isSafeInteger(m.chunkSizeBytes) || m.chunkSizeBytes <= 0) return 'bad sizes';
  if (!Array.isArray(m.chunks) || m.chunks.length !== Math.ceil(m.sizeBytes / m.chunkSizeBytes)) return 'the chunk list does not match the size';
  if (m.chunks.some((id) => id !== null && (typeof id !== 'string' || !CHUNK_ID.test(id)))) return 'a chunk id is not a sha256';
  return null;
}

/** Reads exactly `length` bytes at `position`; past the end of a shorter source the rest reads as zeros (as a sparse volume would). */
async function readFully(file: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) {
      buffer.fill(0, done);
      break;
    }
    done += bytesRead;
  }
  return buffer;
}

async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Runs work(0..count-1) with at most `limit` at once; the first failure stops new work and is thrown once the running ones end. */
async function bounded(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < count) {
      const index = next++;
      try {
        await work(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure) throw failure.error;
}

/** Reports progress every 5 %, one call at a time and in order, without holding the data path up. */
class ProgressReporter {
  private done = 0;
  private lastStep = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly total: number,
    private readonly report?: (progress: Progress) => Promise<void>,
  ) {}

  add(bytes: number): void {
    this.done += bytes;
    if (!this.report || this.total === 0) return;
    const step = Math.floor((this.done * PROGRESS_STEPS) / this.total);
    if (step <= this.lastStep) return;
    this.lastStep = step;
    const progress: Progress = { bytesDone: this.done, bytesTotal: this.total };
    const report = this.report;
    this.chain = this.chain.then(() => report(progress)).catch((error: unknown) => void (this.failure ??= { error }));
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }
}
