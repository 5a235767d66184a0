import { constants, promises as fsPromises } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, stat, statfs, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, isBackendError } from '@strata/plugin-sdk';
import { runPrimaryStorageConformance } from '../conformance';
import type { CloneFile } from './file.copy';
import { FileDriver, type FileDriverOptions } from './file.driver';

const MiB = 1024 * 1024;

/** Stands in for FICLONE on a file system without it: a full copy, so the bytes are right. */
const copyAsClone: CloneFile = (src, dst) => fsPromises.copyFile(src, dst, constants.COPYFILE_EXCL);

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${String(error)}`);
  }
  throw new Error('expected the call to fail');
}

async function writeAt(path: string, position: number, data: Buffer): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, position);
  } finally {
    await handle.close();
  }
}

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, position);
    return buffer;
  } finally {
    await handle.close();
  }
}

// The reflink branch (through an injected clone) and a small per-tree snapshot limit, so
// that the suite's limit section creates snapshots up to the limit and one past it.
runPrimaryStorageConformance('file (reflink branch through an injected clone, snapshot limit 5)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-file-'));
  const driver = new FileDriver({ path: join(dir, 'pool') }, { cloneFile: copyAsClone, snapshotsPerVolumeTree: 5 });
  return { driver, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// A real reflink file system (XFS with reflink=1, btrfs) when one is given; this machine's
// own may not have one. The loop-mounted XFS run is described in docs/backends.md.
const reflinkDir = process.env.STRATA_REFLINK_DIR;
if (reflinkDir !== undefined && reflinkDir !== '') {
  runPrimaryStorageConformance(`file on the reflink file system at ${reflinkDir}`, async () => {
    const dir = await mkdtemp(join(reflinkDir, 'strata-file-'));
    return { driver: new FileDriver({ path: join(dir, 'pool') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  });
}

describe('file backend snapshots, clones and trees', () => {
  let dir: string;
  let pool: string;
  let driver: FileDriver;

  async function connected(options: FileDriverOptions = {}): Promise<FileDriver> {
    const made = new FileDriver({ path: pool }, options);
    await made.connect();
    return made;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-file-'));
    pool = join(dir, 'pool');
    driver = await connected();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  describe('reflink detection', () => {
    it('finds out at connect whether the file system reflinks, and says so', async () => {
      const fresh = new FileDriver({ path: pool });
      expect(fresh.reflink).toBe(false);
      expect(fresh.description).toContain('not yet detected');
      await fresh.connect();
      // This machine's /tmp is ext4, which cannot; the assertion follows what a real FICLONE says.
      await writeFile(join(dir, 'probe'), 'x');
      const real = await fsPromises
        .copyFile(join(dir, 'probe'), join(dir, 'probe-clone'), constants.COPYFILE_FICLONE_FORCE)
        .then(() => true, () => false);
      expect(fresh.reflink).toBe(real);
      expect(fresh.description).toBe(
        `file pool ${pool}: ${real ? 'snapshots, clones and reverts by reflink (FICLONE)' : 'snapshots, clones and reverts by sparse copy (this file system cannot reflink)'}`,
      );
    });

    it('reports reflink when the probe clone succeeds, and then copies with it', async () => {
      const clone = jest.fn(copyAsClone);
      const reflinking = await connected({ cloneFile: clone });
      expect(reflinking.reflink).toBe(true);
      expect(reflinking.description).toContain('by reflink (FICLONE)');
      expect(clone).toHaveBeenCalledTimes(1);
      await reflinking.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await reflinking.createSnapshot('vol-a', 'snap-1');
      await reflinking.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-c' });
      await reflinking.revertToSnapshot('vol-a', 'snap-1');
      expect(clone).toHaveBeenCalledTimes(4);
      expect(await readdir(pool)).toEqual(expect.not.arrayContaining([expect.stringMatching(/^\.strata-probe/)]));
    });

    it.each(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL'])('reports sparse copy when the probe clone fails with %s', async (code) => {
      const refusing = await connected({ cloneFile: () => Promise.reject(errnoError(code)) });
      expect(refusing.reflink).toBe(false);
      expect(refusing.description).toContain('by sparse copy');
      expect(await readdir(pool)).toEqual([]);
    });

    it('fails connect when the probe clone fails for another reason (EIO is transient), leaving no probe behind', async () => {
      const error = await rejection(new FileDriver({ path: pool }, { cloneFile: () => Promise.reject(errnoError('EIO')) }).connect());
      expect(error).toMatchObject({ kind: 'transient', code: 'file.io_error' });
      expect(error.message).toContain(`reflink a probe file in pool directory ${pool}`);
      expect(await readdir(pool)).toEqual([]);
    });

    it('falls back to a sparse copy when a reflink is refused after all (a snapshot directory on another mount)', async () => {
      let probed = false;
      const flaky = await connected({
        cloneFile: async (src, dst) => {
          if (probed) throw errnoError('EXDEV');
          probed = true;
          await copyAsClone(src, dst);
        },
      });
      expect(flaky.reflink).toBe(true);
      await flaky.createVolume({ name: 'vol-a', sizeBytes: 8 * MiB });
      await writeAt(join(pool, 'vol-a.raw'), 5 * MiB, Buffer.from('kept'));
      await flaky.createSnapshot('vol-a', 'snap-1');
      const snapshot = join(pool, '.snapshots', 'vol-a', 'snap-1.raw');
      expect((await readAt(snapshot, 5 * MiB, 4)).toString()).toBe('kept');
      expect((await stat(snapshot)).blocks * 512).toBeLessThanOrEqual(MiB + 64 * 1024);
    });
  });

  describe('snapshots', () => {
    it('lives at <pool>/.snapshots/<volume>/<snapshot>.raw with a record, as a sparse copy, never listed as a volume', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 64 * MiB });
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.alloc(4096, 7));
      await writeAt(join(pool, 'vol-a.raw'), 63 * MiB, Buffer.from('tail'));
      const snapshot = await driver.createSnapshot('vol-a', 'snap-1');

      const path = join(pool, '.snapshots', 'vol-a', 'snap-1.raw');
      const file = await stat(path);
      expect(file.size).toBe(64 * MiB);
      // Two 1 MiB blocks of data, not 64 MiB.
      expect(file.blocks * 512).toBeLessThanOrEqual(2 * MiB + 64 * 1024);
      expect((await readAt(path, 63 * MiB, 4)).toString()).toBe('tail');
      const record = JSON.parse(await readFile(join(pool, '.snapshots', 'vol-a', 'snap-1.json'), 'utf8')) as Record<string, unknown>;
      expect(record).toEqual({ volumeName: 'vol-a', snapshotName: 'snap-1', sizeBytes: 64 * MiB, createdAt: snapshot.createdAt, sequence: 1 });
      expect(snapshot).toEqual({ name: 'snap-1', volumeName: 'vol-a', sizeBytes: 64 * MiB, createdAt: expect.any(String) });
      expect((await driver.listVolumes()).map((volume) => volume.name)).toEqual(['vol-a']);
    });

    it('keeps the snapshot as it was when the volume changes', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.from('before'));
      await driver.createSnapshot('vol-a', 'snap-1');
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.from('after!'));
      await driver.resizeVolume('vol-a', 2 * MiB, { allowShrink: false });
      expect((await readAt(join(pool, '.snapshots', 'vol-a', 'snap-1.raw'), 0, 6)).toString()).toBe('before');
      expect((await driver.listSnapshots('vol-a'))[0]).toMatchObject({ sizeBytes: MiB });
    });

    it('orders snapshots taken within one millisecond by their sequence', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      jest.spyOn(Date.prototype, 'toISOString').mockReturnValue('2026-01-01T00:00:00.000Z');
      for (const name of ['snap-c', 'snap-a', 'snap-b']) await driver.createSnapshot('vol-a', name);
      jest.restoreAllMocks();
      expect((await driver.listSnapshots('vol-a')).map((snapshot) => snapshot.name)).toEqual(['snap-c', 'snap-a', 'snap-b']);
    });

    it('lists the snapshots of a missing volume as not_found, and deleting one of them is success', async () => {
      expect(await rejection(driver.listSnapshots('vol-none'))).toMatchObject({ kind: 'not_found', code: 'volume.not_found' });
      await expect(driver.deleteSnapshot('vol-none', 'snap-1')).resolves.toBeUndefined();
    });

    it('refuses a snapshot name that could escape the snapshot directory', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      expect((await rejection(driver.createSnapshot('vol-a', '../../vol-b'))).kind).toBe('invalid');
      expect((await rejection(driver.createSnapshot('vol-a', '.hidden'))).kind).toBe('invalid');
    });

    it('leaves no snapshot and no temp file when the copy fails (ENOSPC is capacity)', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.from('data'));
      const realOpen = fsPromises.open;
      jest.spyOn(fsPromises, 'open').mockImplementation(async (path, flags, mode) => {
        const handle = await realOpen(path, flags, mode);
        if (String(path).includes('.strata-tmp-') && flags === 'wx') jest.spyOn(handle, 'write').mockRejectedValue(errnoError('ENOSPC'));
        return handle;
      });
      const error = await rejection(driver.createSnapshot('vol-a', 'snap-1'));
      jest.restoreAllMocks();
      expect(error).toMatchObject({ kind: 'capacity', code: 'file.no_space' });
      expect(error.message).toBe(`copy volume into snapshot ${join(pool, '.snapshots', 'vol-a', 'snap-1.raw')}: no space left on device (ENOSPC)`);
      expect(await driver.listSnapshots('vol-a')).toEqual([]);
      expect(await readdir(join(pool, '.snapshots', 'vol-a'))).toEqual([]);
    });

    it('ignores a record whose snapshot file never appeared (a crash between the two), and a retry finishes', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await mkdir(join(pool, '.snapshots', 'vol-a'), { recursive: true });
      await writeFile(
        join(pool, '.snapshots', 'vol-a', 'snap-1.json'),
        JSON.stringify({ volumeName: 'vol-a', snapshotName: 'snap-1', sizeBytes: 4096, createdAt: '2026-01-01T00:00:00.000Z', sequence: 1 }),
      );
      expect(await driver.listSnapshots('vol-a')).toEqual([]);
      expect((await driver.getVolumeTree('vol-a')).snapshotCount).toBe(0);
      await expect(driver.createSnapshot('vol-a', 'snap-1')).resolves.toMatchObject({ name: 'snap-1', sizeBytes: 4096 });
      expect((await driver.listSnapshots('vol-a')).map((snapshot) => snapshot.name)).toEqual(['snap-1']);
    });

    it('deletes a volume whose snapshot directory holds only a stray record', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await mkdir(join(pool, '.snapshots', 'vol-a'), { recursive: true });
      await writeFile(join(pool, '.snapshots', 'vol-a', 'snap-1.json'), '{}');
      await expect(driver.deleteVolume('vol-a')).resolves.toBeUndefined();
      expect(await readdir(join(pool, '.snapshots'))).toEqual([]);
    });

    it('reports a damaged record as terminal, naming the file', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      const recordPath = join(pool, '.snapshots', 'vol-a', 'snap-1.json');
      await writeFile(recordPath, '{"volumeName": 3');
      const error = await rejection(driver.listSnapshots('vol-a'));
      expect(error).toMatchObject({ kind: 'terminal', code: 'file.metadata_corrupt' });
      expect(error.message).toContain(`metadata file ${recordPath} is not JSON`);
    });

    it('refuses to delete a volume with snapshots, naming them; deleting them first lets it go', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      await driver.createSnapshot('vol-a', 'snap-2');
      const error = await rejection(driver.deleteVolume('vol-a'));
      expect(error).toMatchObject({ kind: 'conflict', code: 'file.volume_has_snapshots', details: { snapshots: ['snap-1', 'snap-2'] } });
      expect(error.message).toBe(
        'cannot delete volume vol-a: it still has 2 snapshot(s) (snap-1, snap-2); delete them first, or delete the volume tree',
      );
      await driver.deleteSnapshot('vol-a', 'snap-1');
      await driver.deleteSnapshot('vol-a', 'snap-2');
      await driver.deleteVolume('vol-a');
      expect(await readdir(pool)).toEqual(['.snapshots']);
      expect(await readdir(join(pool, '.snapshots'))).toEqual([]);
    });
  });

  describe('revert', () => {
    it('puts back the content and the size of the snapshot, as a new file renamed over the volume', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await writeAt(join(pool, 'vol-a.raw'), 100, Buffer.from('original'));
      await driver.createSnapshot('vol-a', 'snap-1');
      await driver.resizeVolume('vol-a', 4 * MiB, { allowShrink: false });
      await writeAt(join(pool, 'vol-a.raw'), 100, Buffer.from('changed!'));
      const before = (await stat(join(pool, 'vol-a.raw'))).ino;
      await chmod(join(pool, 'vol-a.raw'), 0o600);
      await driver.revertToSnapshot('vol-a', 'snap-1');
      const after = await stat(join(pool, 'vol-a.raw'));
      expect(after.size).toBe(MiB);
      expect(after.ino).not.toBe(before);
      expect(after.mode & 0o777).toBe(0o600);
      expect((await readAt(join(pool, 'vol-a.raw'), 100, 8)).toString()).toBe('original');
      expect((await readdir(pool)).filter((name) => name.startsWith('.strata-tmp-'))).toEqual([]);
      // The snapshot is still there to revert to again.
      expect((await driver.listSnapshots('vol-a')).map((snapshot) => snapshot.name)).toEqual(['snap-1']);
    });

    it('leaves the volume untouched when the copy fails', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await driver.createSnapshot('vol-a', 'snap-1');
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.from('current'));
      jest.spyOn(fsPromises, 'rename').mockRejectedValueOnce(errnoError('EIO'));
      const error = await rejection(driver.revertToSnapshot('vol-a', 'snap-1'));
      expect(error).toMatchObject({ kind: 'transient', code: 'file.io_error' });
      expect((await readAt(join(pool, 'vol-a.raw'), 0, 7)).toString()).toBe('current');
      expect((await readdir(pool)).filter((name) => name.startsWith('.strata-tmp-'))).toEqual([]);
    });

    it('is not_found for a missing volume or snapshot', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      expect(await rejection(driver.revertToSnapshot('vol-a', 'snap-x'))).toMatchObject({
        kind: 'not_found',
        code: 'snapshot.not_found',
        message: `snapshot snap-x of volume vol-a not found in pool ${pool}`,
      });
      expect((await rejection(driver.revertToSnapshot('vol-none', 'snap-x'))).kind).toBe('not_found');
    });
  });

  describe('clones', () => {
    it('is an ordinary volume with its lineage in <pool>/.clones/<clone>.json', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await writeAt(join(pool, 'vol-a.raw'), 10, Buffer.from('base'));
      await driver.createSnapshot('vol-a', 'snap-1');
      const clone = await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-c', sizeBytes: 2 * MiB });
      expect(clone).toMatchObject({ name: 'vol-c', sizeBytes: 2 * MiB, path: join(pool, 'vol-c.raw') });
      expect((await readAt(join(pool, 'vol-c.raw'), 10, 4)).toString()).toBe('base');
      expect(JSON.parse(await readFile(join(pool, '.clones', 'vol-c.json'), 'utf8'))).toEqual({
        name: 'vol-c',
        sourceVolumeName: 'vol-a',
        snapshotName: 'snap-1',
        createdAt: expect.any(String),
      });
      expect((await driver.listVolumes()).map((volume) => volume.name)).toEqual(['vol-a', 'vol-c']);
    });

    it('refuses a clone name held by a volume that is not that clone, as a conflict', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      await driver.createSnapshot('vol-a', 'snap-2');
      await driver.createVolume({ name: 'vol-x', sizeBytes: 4096 });
      const plain = await rejection(driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-x' }));
      expect(plain).toMatchObject({ kind: 'conflict', message: `volume vol-x already exists in pool ${pool} and is not a clone` });
      await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-c' });
      const other = await rejection(driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-2', name: 'vol-c' }));
      expect(other.message).toBe(`volume vol-c already exists in pool ${pool} as a clone of snap-1 of vol-a`);
    });

    it('finishes a clone whose lineage was written but whose volume never appeared (a crash between the two)', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      await mkdir(join(pool, '.clones'));
      await writeFile(
        join(pool, '.clones', 'vol-c.json'),
        JSON.stringify({ name: 'vol-c', sourceVolumeName: 'vol-a', snapshotName: 'snap-1', createdAt: '2026-01-01T00:00:00.000Z' }),
      );
      // The orphan record is no member of the tree.
      expect((await driver.getVolumeTree('vol-a')).members.map((member) => member.name)).toEqual(['vol-a', 'snap-1']);
      await expect(driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-c' })).resolves.toMatchObject({
        name: 'vol-c',
        sizeBytes: 4096,
      });
      expect((await driver.getVolumeTree('vol-a')).members.map((member) => member.name)).toEqual(['vol-a', 'snap-1', 'vol-c']);
    });
  });

  describe('volume trees', () => {
    /** vol-a -> snap-1 -> vol-b -> snap-2 -> vol-c, and vol-a -> snap-1 -> vol-d. */
    async function threeLevels(): Promise<void> {
      await driver.createVolume({ name: 'vol-a', sizeBytes: MiB });
      await writeAt(join(pool, 'vol-a.raw'), 0, Buffer.alloc(4096, 1));
      await driver.createSnapshot('vol-a', 'snap-1');
      await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-b' });
      await driver.createSnapshot('vol-b', 'snap-2');
      await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-b', snapshotName: 'snap-2', name: 'vol-c' });
      await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-d' });
    }

    it('shows every member from the root, whichever member it is asked about, with the used bytes of all', async () => {
      await threeLevels();
      const tree = await driver.getVolumeTree('vol-c');
      expect(tree.root).toBe('vol-a');
      expect(tree.members.map((member) => [member.name, member.kind, member.parent])).toEqual([
        ['vol-a', 'volume', null],
        ['snap-1', 'snapshot', 'vol-a'],
        ['vol-b', 'clone', 'snap-1'],
        ['snap-2', 'snapshot', 'vol-b'],
        ['vol-c', 'clone', 'snap-2'],
        ['vol-d', 'clone', 'snap-1'],
      ]);
      expect(tree.snapshotCount).toBe(2);
      expect(tree.snapshotLimit).toBeNull();
      expect(tree.usedBytes).toBe(tree.members.reduce((sum, member) => sum + (member.allocatedBytes ?? 0), 0));
      // Six files each holding the one written 4 KiB block (at least; sparse copies write whole blocks).
      expect(tree.usedBytes).toBeGreaterThanOrEqual(6 * 4096);
      expect(await driver.getVolumeTree('vol-a')).toEqual(tree);
    });

    it('keeps a clone in the tree, under its source volume, after its snapshot is deleted', async () => {
      await threeLevels();
      await driver.deleteSnapshot('vol-b', 'snap-2');
      const tree = await driver.getVolumeTree('vol-c');
      expect(tree.members.find((member) => member.name === 'vol-c')).toMatchObject({ kind: 'clone', parent: 'vol-b' });
      expect(tree.snapshotCount).toBe(1);
    });

    it('makes a clone the root of its own tree once its source volume is gone', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      await driver.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-b' });
      await driver.deleteSnapshot('vol-a', 'snap-1');
      await driver.deleteVolume('vol-a');
      const tree = await driver.getVolumeTree('vol-b');
      expect(tree.root).toBe('vol-b');
      expect(tree.members).toEqual([expect.objectContaining({ name: 'vol-b', kind: 'volume', parent: null })]);
    });

    it('deletes a subtree: the volume asked about, its snapshots and the clones below, leaving the rest', async () => {
      await threeLevels();
      await driver.deleteVolumeTree('vol-b');
      expect((await driver.listVolumes()).map((volume) => volume.name)).toEqual(['vol-a', 'vol-d']);
      expect((await driver.getVolumeTree('vol-a')).members.map((member) => member.name)).toEqual(['vol-a', 'snap-1', 'vol-d']);
      expect((await readdir(join(pool, '.clones'))).sort()).toEqual(['vol-d.json']);
      expect(await readdir(join(pool, '.snapshots'))).toEqual(['vol-a']);
    });

    it('deletes the whole tree from the root, leaving an empty pool, and again is success', async () => {
      await threeLevels();
      await driver.deleteVolumeTree('vol-a');
      expect(await driver.listVolumes()).toEqual([]);
      expect(await readdir(join(pool, '.clones'))).toEqual([]);
      expect(await readdir(join(pool, '.snapshots'))).toEqual([]);
      await expect(driver.deleteVolumeTree('vol-a')).resolves.toBeUndefined();
    });

    it('finishes a tree delete that crashed part-way (the root gone, a clone and snapshot left)', async () => {
      await threeLevels();
      // What a crash after the root's file went, but before the rest, would leave.
      await rm(join(pool, 'vol-b.raw'));
      await driver.deleteVolumeTree('vol-b');
      expect((await driver.listVolumes()).map((volume) => volume.name)).toEqual(['vol-a', 'vol-d']);
      expect(await readdir(join(pool, '.snapshots'))).toEqual(['vol-a']);
    });

    it('enforces a per-tree snapshot limit across all members, naming it', async () => {
      const limited = await connected({ snapshotsPerVolumeTree: 2 });
      await limited.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await limited.createSnapshot('vol-a', 'snap-1');
      await limited.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-b' });
      await limited.createSnapshot('vol-b', 'snap-2');
      const error = await rejection(limited.createSnapshot('vol-a', 'snap-3'));
      expect(error).toMatchObject({ kind: 'invalid', code: 'file.snapshot_limit_reached', details: { limit: 2, root: 'vol-a' } });
      expect(error.message).toBe(
        'cannot snapshot vol-a: the volume tree of vol-a already has 2 snapshots, the limit is 2 (snapshotsPerVolumeTree)',
      );
      // An existing snapshot is still returned: idempotency comes before the limit.
      await expect(limited.createSnapshot('vol-b', 'snap-2')).resolves.toMatchObject({ name: 'snap-2' });
      expect(limited.manifest.limits.snapshotsPerVolumeTree).toBe(2);
      expect(driver.manifest.limits.snapshotsPerVolumeTree).toBeNull();
    });
  });

  describe('group snapshots', () => {
    it('snapshots every member and, when one fails, deletes the ones already taken', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createVolume({ name: 'vol-b', sizeBytes: 4096 });
      await driver.createVolume({ name: 'vol-c', sizeBytes: 4096 });
      const members = [
        { volumeName: 'vol-a', snapshotName: 'snap-a' },
        { volumeName: 'vol-b', snapshotName: 'snap-b' },
        { volumeName: 'vol-c', snapshotName: 'snap-c' },
      ];
      const realRename = fsPromises.rename;
      jest.spyOn(fsPromises, 'rename').mockImplementation(async (from, to) => {
        if (String(to).endsWith('snap-c.raw')) throw errnoError('ENOSPC');
        return realRename(from, to);
      });
      const error = await rejection(driver.createGroupSnapshot('vmsnap-1', members));
      jest.restoreAllMocks();
      expect(error).toMatchObject({ kind: 'capacity', code: 'file.no_space', details: { group: 'vmsnap-1' } });
      expect(error.message).toMatch(/^group snapshot vmsnap-1 failed: store snapshot file .*snap-c\.raw: no space left on device \(ENOSPC\); the snapshots already taken were deleted again$/);
      for (const volume of ['vol-a', 'vol-b', 'vol-c']) expect(await driver.listSnapshots(volume)).toEqual([]);

      await expect(driver.createGroupSnapshot('vmsnap-1', members)).resolves.toHaveLength(3);
      for (const member of members) {
        expect((await driver.listSnapshots(member.volumeName)).map((snapshot) => snapshot.name)).toEqual([member.snapshotName]);
      }
    });

    it('refuses no members, or one volume twice, as invalid before touching anything', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      expect(await rejection(driver.createGroupSnapshot('vmsnap-1', []))).toMatchObject({
        kind: 'invalid',
        code: 'group_snapshot.members_invalid',
      });
      const twice = [
        { volumeName: 'vol-a', snapshotName: 'snap-1' },
        { volumeName: 'vol-a', snapshotName: 'snap-2' },
      ];
      expect((await rejection(driver.createGroupSnapshot('vmsnap-1', twice))).message).toBe(
        'group snapshot vmsnap-1: each volume may appear once in a group snapshot (members)',
      );
      expect(await driver.listSnapshots('vol-a')).toEqual([]);
    });
  });

  describe('stale temp files', () => {
    it('removes temp files of crashed attempts older than a day at connect, and keeps fresh ones', async () => {
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await driver.createSnapshot('vol-a', 'snap-1');
      const old = new Date(Date.now() - 25 * 60 * 60 * 1000);
      const stale = [join(pool, '.strata-tmp-old'), join(pool, '.strata-probe-old'), join(pool, '.snapshots', 'vol-a', '.strata-tmp-old')];
      for (const path of stale) {
        await writeFile(path, 'half a copy');
        await utimes(path, old, old);
      }
      await writeFile(join(pool, '.strata-tmp-fresh'), 'a copy in progress');
      await connected();
      expect((await readdir(pool)).filter((name) => name.startsWith('.strata-'))).toEqual(['.strata-tmp-fresh']);
      expect((await readdir(join(pool, '.snapshots', 'vol-a'))).sort()).toEqual(['snap-1.json', 'snap-1.raw']);
    });
  });

  describe('on a real reflink file system', () => {
    (reflinkDir ? it : it.skip)(
      reflinkDir
        ? 'reflinks: the snapshot of 32 MiB of data takes almost no space'
        : 'reflinks: skipped because STRATA_REFLINK_DIR names no XFS (reflink=1) or btrfs directory; the injected-clone run covers the branch',
      async () => {
        const base = await mkdtemp(join(reflinkDir ?? '', 'strata-reflink-'));
        try {
          const reflinking = new FileDriver({ path: join(base, 'pool') });
          await reflinking.connect();
          expect(reflinking.reflink).toBe(true);
          await reflinking.createVolume({ name: 'vol-a', sizeBytes: 64 * MiB });
          await writeAt(join(base, 'pool', 'vol-a.raw'), 0, Buffer.alloc(32 * MiB, 9));
          const before = await statfs(base);
          await reflinking.createSnapshot('vol-a', 'snap-1');
          await reflinking.cloneFromSnapshot({ sourceVolumeName: 'vol-a', snapshotName: 'snap-1', name: 'vol-c' });
          const after = await statfs(base);
          // Two 32 MiB copies would take 64 MiB; shared extents take only metadata.
          expect((before.bavail - after.bavail) * before.bsize).toBeLessThan(4 * MiB);
          expect((await readAt(join(base, 'pool', 'vol-c.raw'), 32 * MiB - 4, 4)).equals(Buffer.alloc(4, 9))).toBe(true);
        } finally {
          await rm(base, { recursive: true, force: true });
        }
      },
    );
  });
});
