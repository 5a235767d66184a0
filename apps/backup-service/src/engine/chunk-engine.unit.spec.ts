import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryChunkStore } from '../targets/infrastructure/directory-chunk-store';
import { ChunkEngine } from './chunk-engine';
import type { BackupRun, ChunkStore, Progress } from './ports';
import { expectedCounts, pattern, rewriteChunk, sameBytes, standardLayout, writeVolume } from './testing/patterned-volume.spec';

const CHUNK = 64 * 1024;
const CHUNKS = 200;
const layout = standardLayout(CHUNK, CHUNKS);
const SIZE = CHUNK * CHUNKS;

describe('ChunkEngine on a directory store', () => {
  let dir: string;
  let store: DirectoryChunkStore;
  let source: string;
  const engine = new ChunkEngine();

  const run = (over: Partial<BackupRun> = {}): BackupRun => ({
    backupId: randomUUID(),
    volumeId: 'vol-1',
    parentBackupId: null,
    kind: 'full',
    sourcePath: source,
    sizeBytes: SIZE,
    chunkSizeBytes: CHUNK,
    createdAt: '2026-11-21T10:00:00.000Z',
    store,
    ...over,
  });

  const storedChunks = async (s: ChunkStore = store) => {
    const ids: string[] = [];
    for await (const id of s.listChunkIds()) ids.push(id);
    return ids;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-engine-'));
    store = new DirectoryChunkStore(join(dir, 'target'));
    source = join(dir, 'volume.raw');
    await writeVolume(source, layout);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the stored chunks with their mtime (what garbage collection ages them by)', async () => {
    const id = 'ab'.repeat(32);
    await store.putChunk(id, Buffer.from('x'));
    const listed: { id: string; modifiedAt: Date }[] = [];
    for await (const chunk of store.listChunks()) listed.push(chunk);
    expect(listed).toEqual([{ id, modifiedAt: (await stat(join(dir, 'target', 'chunks', 'ab', id))).mtime }]);
  });

  it('backs a sparse volume up: zero chunks not stored, repeated content stored once, the manifest verified', async () => {
    const expected = expectedCounts(layout);
    const progress: Progress[] = [];
    const first = run({ onProgress: async (p) => void progress.push(p) });
    const result = await engine.backup(first);

    expect(result).toMatchObject({ chunks: CHUNKS, zeroChunks: expected.zero, newChunks: expected.distinct, reusedChunks: CHUNKS - expected.zero - expected.distinct });
    expect(result.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await storedChunks()).length).toBe(expected.distinct);
    const manifest = await engine.readManifest(first.backupId, store);
    expect(manifest).toMatchObject({ formatVersion: 1, backupId: first.backupId, volumeId: 'vol-1', kind: 'full', sizeBytes: SIZE, chunkSizeBytes: CHUNK, compression: 'zstd' });
    expect(manifest!.chunks.filter((c) => c === null)).toHaveLength(expected.zero);
    expect(manifest!.chunks[0]).toBeNull();
    // Patterned chunks barely compress; the holes cost nothing.
    expect(result.bytesWritten).toBeLessThan((expected.distinct + 1) * CHUNK + 32 * 1024);

    // At most every 5 %, in order, ending at the whole.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.length).toBeLessThanOrEqual(20);
    expect(progress.map((p) => p.bytesDone)).toEqual([...progress.map((p) => p.bytesDone)].sort((a, b) => a - b));
    expect(progress[progress.length - 1]).toEqual({ bytesDone: SIZE, bytesTotal: SIZE });
    expect(await engine.verify(first.backupId, store)).toEqual({ ok: true, chunksChecked: expected.distinct, badChunks: [] });
  });

  it('writes no chunk again: a second backup of the same volume writes only its manifest, and 1 % changed writes only those chunks', async () => {
    const full = await engine.backup(run());
    const again = await engine.backup(run({ kind: 'incremental' }));
    expect(again.newChunks).toBe(0);
    expect(again.zeroChunks).toBe(full.zeroChunks);
    expect(again.reusedChunks).toBe(full.newChunks + full.reusedChunks);

    // 1 % of 200 chunks: two data chunks get new content.
    await rewriteChunk(source, layout, 2, 'changed-2');
    await rewriteChunk(source, layout, 101, 'changed-101');
    const changed = await engine.backup(run({ kind: 'incremental' }));
    expect(changed.newChunks).toBe(2);
    console.log(
      `directory target, ${CHUNKS} chunks of ${CHUNK / 1024} KiB: full backup wrote ${full.bytesWritten} bytes (${full.newChunks} new chunks); ` +
        `unchanged again: ${again.bytesWritten} bytes (${again.newChunks} new chunks, manifest only); ` +
        `1 % changed: ${changed.bytesWritten} bytes (${changed.newChunks} new chunks)`,
    );
    expect(again.bytesWritten).toBeLessThan(CHUNK);
    expect(changed.bytesWritten).toBeLessThan(3 * CHUNK + again.bytesWritten);
  });

  it('restores byte for byte into a new file', async () => {
    const backup = run();
    await engine.backup(backup);
    const target = join(dir, 'restored.raw');
    await writeFile(target, '');
    const manifest = await engine.restore({ backupId: backup.backupId, store, targetPath: target, writeZeros: false });
    expect(manifest.backupId).toBe(backup.backupId);
    expect((await stat(target)).size).toBe(SIZE);
    expect(await sameBytes(source, target)).toBe(true);
  });

  it('restores over an existing volume with other content: zero chunks written as zeros only when asked', async () => {
    const backup = run();
    await engine.backup(backup);
    const target = join(dir, 'existing.raw');
    await writeFile(target, pattern('other content', SIZE));

    await engine.restore({ backupId: backup.backupId, store, targetPath: target, writeZeros: false });
    expect(await sameBytes(source, target)).toBe(false);
    // The holes kept the old content.
    expect((await readFile(target)).subarray(0, CHUNK).equals(pattern('other content', CHUNK))).toBe(true);

    await engine.restore({ backupId: backup.backupId, store, targetPath: target, writeZeros: true });
    expect(await sameBytes(source, target)).toBe(true);
  });

  it('stores a chunk once for two volumes with the same content', async () => {
    const a = await engine.backup(run({ volumeId: 'vol-a' }));
    const copy = join(dir, 'volume-b.raw');
    await writeVolume(copy, layout);
    const b = await engine.backup(run({ volumeId: 'vol-b', sourcePath: copy }));
    expect(b.newChunks).toBe(0);
    expect((await storedChunks()).length).toBe(a.newChunks);
  });

  it('backs up a volume whose size is not a multiple of the chunk size (short last chunk)', async () => {
    const size = SIZE - 1000;
    const short = join(dir, 'short.raw');
    await writeVolume(short, layout, size);
    const backup = run({ sourcePath: short, sizeBytes: size });
    const result = await engine.backup(backup);
    expect(result.chunks).toBe(CHUNKS);
    const target = join(dir, 'short-restored.raw');
    await writeFile(target, '');
    await engine.restore({ backupId: backup.backupId, store, targetPath: target, writeZeros: false });
    expect(await sameBytes(short, target)).toBe(true);
  });

  it('finds a damaged chunk: verify names it, restore fails with backup.corrupt', async () => {
    const backup = run();
    await engine.backup(backup);
    const manifest = (await engine.readManifest(backup.backupId, store))!;
    const victim = manifest.chunks.find((c): c is string => c !== null)!;
    const file = join(dir, 'target', 'chunks', victim.slice(0, 2), victim);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(file, bytes);

    const verdict = await engine.verify(backup.backupId, store);
    expect(verdict.ok).toBe(false);
    expect(verdict.badChunks).toEqual([victim]);

    const target = join(dir, 'restored.raw');
    await writeFile(target, '');
    await expect(engine.restore({ backupId: backup.backupId, store, targetPath: target, writeZeros: false })).rejects.toMatchObject({
      code: 'backup.corrupt',
      details: { badChunks: [victim] },
    });
  });

  it('reports a missing chunk and a missing manifest', async () => {
    const backup = run();
    await engine.backup(backup);
    const manifest = (await engine.readManifest(backup.backupId, store))!;
    const victim = manifest.chunks.find((c): c is string => c !== null)!;
    await store.deleteChunk(victim);
    expect(await engine.verify(backup.backupId, store)).toMatchObject({ ok: false, badChunks: [victim] });
    expect(await engine.readManifest('no-such-backup', store)).toBeNull();
    expect(await engine.verify('no-such-backup', store)).toEqual({ ok: false, chunksChecked: 0, badChunks: ['manifest'] });
    await expect(engine.restore({ backupId: 'no-such-backup', store, targetPath: source, writeZeros: false })).rejects.toMatchObject({ code: 'backup.manifest_missing' });
  });

  it('stops when aborted, without a manifest', async () => {
    const controller = new AbortController();
    const backup = run({
      onProgress: async () => controller.abort(new Error('operator cancelled')),
    });
    await expect(engine.backup({ ...backup, signal: controller.signal })).rejects.toThrow('operator cancelled');
    expect(await store.getManifest(backup.backupId)).toBeNull();
  });

  it('the directory store lays chunks out by their first two hex digits and leaves no temporary files', async () => {
    await engine.backup(run());
    const chunkDirs = await readdir(join(dir, 'target', 'chunks'));
    expect(chunkDirs.every((d) => /^[0-9a-f]{2}$/.test(d))).toBe(true);
    for (const d of chunkDirs) for (const name of await readdir(join(dir, 'target', 'chunks', d))) expect(name).toMatch(new RegExp(`^${d}[0-9a-f]{62}$`));
    expect(await store.listManifestIds()).toHaveLength(1);
  });
});
