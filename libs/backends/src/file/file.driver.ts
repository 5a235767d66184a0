import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertBackendName,
  assertVolumeSize,
  BackendError,
  BackendErrorCode,
  isBackendError,
  type AccessGrant,
  type BackendCapacity,
  type BackendSnapshot,
  type BackendVolume,
  type CloneCapable,
  type CloneRequest,
  type CreateVolumeRequest,
  type GroupSnapshotCapable,
  type GroupSnapshotMember,
  type PluginManifest,
  type PrimaryStorageDriver,
  type ResizeOptions,
  type RevertCapable,
  type SnapshotCapable,
  type VolumeTree,
  type VolumeTreeMember,
} from '@strata/plugin-sdk';
import type { FileConfig } from './file.config';
import { isReflinkUnsupported, reflinkCopy, sparseCopy, syncDirectory, syncFile, type CloneFile } from './file.copy';
import { errnoOf, reasonOf, toFileBackendError } from './file.errors';
import { fileManifest } from './file.manifest';
import {
  readCloneRecord,
  readSnapshotRecord,
  TEMP_PREFIX,
  tempPathIn,
  writeJsonAtomically,
  type CloneRecord,
  type SnapshotRecord,
} from './file.metadata';

const VOLUME_SUFFIX = '.raw';
const METADATA_SUFFIX = '.json';
/** Snapshot files live here, one directory per volume; the leading dot keeps them out of listVolumes. */
const SNAPSHOTS_DIR = '.snapshots';
/** Clone lineage records, one JSON file per clone. */
const CLONES_DIR = '.clones';
/** st_blocks counts 512-byte units whatever the file system's block size. */
const STAT_BLOCK_BYTES = 512;
/**
 * A temp file untouched for this long belongs to an attempt that crashed: a copy in
 * progress writes (so touches) it continually, and a reflink finishes in moments.
 */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
/** connect()'s probe files; one left by a crash during connect is cleaned up like a temp file. */
const PROBE_PREFIX = '.strata-probe-';

/** Knobs for tests; the registry builds drivers without them. */
export interface FileDriverOptions {
  /**
   * What copies a file when connect() found reflink support (default: FICLONE_FORCE).
   * Tests inject it to exercise the reflink branch on a file system without reflinks.
   */
  readonly cloneFile?: CloneFile;
  /**
   * Overrides the manifest's snapshotsPerVolumeTree (null, unlimited) for this driver,
   * so that the conformance suite's limit section can run against real files.
   */
  readonly snapshotsPerVolumeTree?: number | null;
}

interface SnapshotEntry {
  readonly name: string;
  readonly path: string;
  readonly stats: Stats;
  readonly record: SnapshotRecord | undefined;
}

/**
 * A pool is a directory; a volume is the sparse RAW file `<pool>/<name>.raw`.
 * The file is its own device path: hosts reach it locally or over the same NFS
 * mount, so granting and revoking access need no backend step.
 *
 * Snapshots are files beside the volumes, `<pool>/.snapshots/<volume>/<snapshot>.raw`
 * with a `.json` record; clones are ordinary volumes with a lineage record in
 * `<pool>/.clones/<clone>.json`. Snapshot, clone and revert copy by reflink
 * (FICLONE: instant, extents shared) when connect() found the file system can,
 * and by sparse copy (only non-zero 1 MiB blocks) when not; `reflink` says which.
 * Every copy goes to a temp file that is renamed into place, so a crash leaves
 * either the old state or the new one, plus a temp file connect() cleans up later.
 */
export class FileDriver implements PrimaryStorageDriver, SnapshotCapable, RevertCapable, CloneCapable, GroupSnapshotCapable {
  readonly manifest: PluginManifest<FileConfig>;
  private readonly pool: string;
  private readonly cloneFile: CloneFile;
  /** Set by connect(); until then copies are sparse copies, which work everywhere. */
  private reflinkSupported: boolean | undefined;

  constructor(config: FileConfig, options: FileDriverOptions = {}) {
    this.pool = config.path;
    this.cloneFile = options.cloneFile ?? reflinkCopy;
    this.manifest =
      options.snapshotsPerVolumeTree === undefined
        ? fileManifest
        : { ...fileManifest, limits: { ...fileManifest.limits, snapshotsPerVolumeTree: options.snapshotsPerVolumeTree } };
  }

  /** Whether snapshots, clones and reverts are reflinks (true) or sparse copies (false); false until connect(). */
  get reflink(): boolean {
    return this.reflinkSupported === true;
  }

  /** One line for logs and the pool's status: where the pool is and how it copies. */
  get description(): string {
    const how =
      this.reflinkSupported === undefined
        ? 'copy method not yet detected (connect first)'
        : this.reflinkSupported
          ? 'snapshots, clones and reverts by reflink (FICLONE)'
          : 'snapshots, clones and reverts by sparse copy (this file system cannot reflink)';
    return `file pool ${this.pool}: ${how}`;
  }

  /**
   * Makes the directory if it is missing, proves this process can write there,
   * finds out whether the file system can reflink, and removes temp files that
   * crashed attempts left behind.
   */
  async connect(): Promise<void> {
    let stats: Stats;
    try {
      stats = await fsp.stat(this.pool);
    } catch (error) {
      if (errnoOf(error) === 'ENOTDIR') throw this.notADirectory(error);
      if (errnoOf(error) !== 'ENOENT') throw toFileBackendError(error, 'inspect pool directory', this.pool);
      stats = await this.createPoolDirectory();
    }
    if (!stats.isDirectory()) throw this.notADirectory();
    this.reflinkSupported = await this.probe();
    await this.removeStaleTemps();
  }

  async getCapacity(): Promise<BackendCapacity> {
    try {
      const fs = await fsp.statfs(this.pool);
      const totalBytes = fs.blocks * fs.bsize;
      // bavail, not bfree: blocks reserved for root are of no use to volumes, so they count as used.
      const freeBytes = fs.bavail * fs.bsize;
      return { totalBytes, usedBytes: totalBytes - freeBytes, freeBytes };
    } catch (error) {
      throw toFileBackendError(error, 'read capacity of pool directory', this.pool);
    }
  }

  async createVolume(request: CreateVolumeRequest): Promise<BackendVolume> {
    const { name, sizeBytes } = request;
    const path = this.volumePath(name);
    assertVolumeSize(this.manifest, sizeBytes);
    if (request.thin === false) {
      const message = 'the file backend makes thin (sparse) volumes only; thick provisioning is not supported';
      throw new BackendError('invalid', BackendErrorCode.UnsupportedOperation, `cannot create ${name}: ${message}`, {
        details: { violations: [{ field: 'thin', rule: 'thinProvisioningOnly', message }] },
      });
    }

    // No temp file here: the only half-made state, an empty file, is unambiguous
    // (no finished volume is empty) and adoptExisting finishes it.
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, 'wx');
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return this.adoptExisting(name, path, sizeBytes);
      throw toFileBackendError(error, 'create volume file', path);
    }
    try {
      // Sets the length without writing a byte, so the file stays sparse.
      await handle.truncate(sizeBytes);
    } catch (error) {
      // Best effort: should the unlink fail too, the empty file left behind is
      // exactly what adoptExisting finishes on the next attempt.
      await handle.close().catch(() => undefined);
      await fsp.unlink(path).catch(() => undefined);
      throw toFileBackendError(error, 'set size of volume file', path);
    }
    try {
      await handle.close();
    } catch (error) {
      throw toFileBackendError(error, 'close volume file', path);
    }
    return this.volumeAt(name, path);
  }

  /**
   * Refused ('conflict', naming them) while the volume has snapshots: deleting it
   * would orphan them. Clones made from its snapshots are volumes of their own and
   * survive; deleteVolumeTree removes everything.
   */
  async deleteVolume(name: string): Promise<void> {
    const path = this.volumePath(name);
    const snapshots = await this.snapshotEntries(name);
    if (snapshots.length > 0) {
      const names = snapshots.map((snapshot) => snapshot.name);
      throw new BackendError(
        'conflict',
        'file.volume_has_snapshots',
        `cannot delete volume ${name}: it still has ${names.length} snapshot(s) (${names.join(', ')}); ` +
          'delete them first, or delete the volume tree',
        { details: { name, snapshots: names } },
      );
    }
    await this.removeVolumeFiles(name, path);
  }

  async resizeVolume(name: string, sizeBytes: number, options: ResizeOptions): Promise<BackendVolume> {
    const path = this.volumePath(name);
    assertVolumeSize(this.manifest, sizeBytes);
    const current = await this.statVolume(name, path);
    if (sizeBytes === current.size) return toVolume(name, path, current);
    if (sizeBytes < current.size && !options.allowShrink) {
      const message = `shrinking ${name} from ${current.size} to ${sizeBytes} bytes destroys the data past the new end`;
      throw new BackendError('invalid', BackendErrorCode.ShrinkNotAllowed, `${message}; pass allowShrink to do it`, {
        details: { violations: [{ field: 'sizeBytes', rule: 'allowShrink', message }] },
      });
    }
    await this.setLength(path, sizeBytes, 'resize volume file');
    return this.volumeAt(name, path);
  }

  async grantAccess(name: string, host: string): Promise<AccessGrant> {
    const path = this.volumePath(name);
    assertHost(host);
    await this.statVolume(name, path);
    return { devicePath: path };
  }

  /** Nothing to undo: access was never restricted per host. Still validates, so a bad name fails the same way everywhere. */
  async revokeAccess(name: string, host: string): Promise<void> {
    this.volumePath(name);
    assertHost(host);
  }

  async listVolumes(): Promise<BackendVolume[]> {
    let entries: string[];
    try {
      entries = await fsp.readdir(this.pool);
    } catch (error) {
      throw toFileBackendError(error, 'list pool directory', this.pool);
    }
    const volumes: BackendVolume[] = [];
    for (const entry of entries) {
      if (!entry.endsWith(VOLUME_SUFFIX) || entry.length === VOLUME_SUFFIX.length) continue;
      const path = join(this.pool, entry);
      let stats: Stats;
      try {
        stats = await fsp.lstat(path);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') continue; // deleted while we were listing
        throw toFileBackendError(error, 'inspect volume file', path);
      }
      // Symlinks and directories are not volumes we made; the reconciler must not touch them.
      if (stats.isFile()) volumes.push(toVolume(entry.slice(0, -VOLUME_SUFFIX.length), path, stats));
    }
    return volumes.sort((a, b) => compareNames(a.name, b.name));
  }

  // ---- snapshots ------------------------------------------------------------

  async createSnapshot(volumeName: string, snapshotName: string): Promise<BackendSnapshot> {
    const volumePath = this.volumePath(volumeName);
    const path = this.snapshotPath(volumeName, snapshotName);
    const existing = await this.snapshotEntry(volumeName, snapshotName);
    if (existing !== undefined) return toSnapshot(volumeName, existing);

    const source = await this.statVolume(volumeName, volumePath);
    const limit = this.manifest.limits.snapshotsPerVolumeTree;
    if (limit !== null) {
      const tree = await this.getVolumeTree(volumeName);
      if (tree.snapshotCount >= limit) {
        const message = `the volume tree of ${tree.root} already has ${tree.snapshotCount} snapshots, the limit is ${limit}`;
        throw new BackendError('invalid', 'file.snapshot_limit_reached', `cannot snapshot ${volumeName}: ${message} (snapshotsPerVolumeTree)`, {
          details: { violations: [{ field: 'snapshotName', rule: 'snapshotsPerVolumeTree', message }], limit, root: tree.root },
        });
      }
    }

    const dir = this.snapshotDir(volumeName);
    await this.makeDirectory(dir);
    const sequence = (await this.snapshotEntries(volumeName)).reduce((max, entry) => Math.max(max, entry.record?.sequence ?? 0), 0) + 1;
    const record: SnapshotRecord = {
      volumeName,
      snapshotName,
      sizeBytes: source.size,
      createdAt: new Date().toISOString(),
      sequence,
    };
    const temp = tempPathIn(dir);
    await this.copyInto(volumePath, temp, 'copy volume into snapshot', path);
    // The record first: a snapshot file never exists without its record.
    await writeJsonAtomically(this.snapshotRecordPath(volumeName, snapshotName), record).catch(removingTemp(temp));
    await this.renameInto(temp, path, dir, 'store snapshot file');
    const entry = await this.snapshotEntry(volumeName, snapshotName);
    if (entry === undefined) {
      throw new BackendError('transient', 'file.snapshot_vanished', `snapshot ${snapshotName} of ${volumeName} vanished right after it was made`);
    }
    return toSnapshot(volumeName, entry);
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    const path = this.snapshotPath(volumeName, snapshotName);
    // Data first: a record without its data is ignored, data without a record is still a snapshot.
    await unlinkIfPresent(path, 'delete snapshot file');
    await unlinkIfPresent(this.snapshotRecordPath(volumeName, snapshotName), 'delete snapshot record');
    await rmdirIfEmpty(this.snapshotDir(volumeName));
  }

  /** Oldest first; 'not_found' when the volume does not exist. */
  async listSnapshots(volumeName: string): Promise<BackendSnapshot[]> {
    await this.statVolume(volumeName, this.volumePath(volumeName));
    return (await this.snapshotEntries(volumeName)).map((entry) => toSnapshot(volumeName, entry));
  }

  /** Any snapshot: the volume takes the snapshot's content and size, atomically (rename over it). */
  async revertToSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    const volumePath = this.volumePath(volumeName);
    const snapshot = await this.requireSnapshot(volumeName, snapshotName);
    const volume = await this.statVolume(volumeName, volumePath);
    const temp = tempPathIn(this.pool);
    await this.copyInto(snapshot.path, temp, 'copy snapshot for revert of', volumePath);
    await keepOwnership(temp, volume).catch(removingTemp(temp));
    await this.renameInto(temp, volumePath, this.pool, 'replace volume file with snapshot');
  }

  // ---- clones ---------------------------------------------------------------

  /**
   * A new volume with the snapshot's content (reflink or sparse copy: it shares no
   * state with the snapshot afterwards, so the snapshot may be deleted); its lineage
   * goes to `.clones/<name>.json` before the volume appears.
   */
  async cloneFromSnapshot(request: CloneRequest): Promise<BackendVolume> {
    const { sourceVolumeName, snapshotName, name } = request;
    const path = this.volumePath(name);
    this.volumePath(sourceVolumeName);
    this.snapshotPath(sourceVolumeName, snapshotName);
    if (request.sizeBytes !== undefined) assertVolumeSize(this.manifest, request.sizeBytes);

    const existing = await this.statIfPresent(path, 'inspect volume file');
    if (existing !== undefined) return this.adoptClone(request, path);

    const snapshot = await this.requireSnapshot(sourceVolumeName, snapshotName);
    const sizeBytes = request.sizeBytes ?? snapshot.stats.size;
    if (sizeBytes < snapshot.stats.size) {
      const message = `a clone of ${snapshotName} needs at least its ${snapshot.stats.size} bytes, not ${sizeBytes}`;
      throw new BackendError('invalid', BackendErrorCode.SizeInvalid, `cannot clone into ${name}: ${message} (minSnapshotSize)`, {
        details: { violations: [{ field: 'sizeBytes', rule: 'minSnapshotSize', message }] },
      });
    }

    const temp = tempPathIn(this.pool);
    await this.copyInto(snapshot.path, temp, 'copy snapshot into clone', path);
    if (sizeBytes > snapshot.stats.size) await this.setLength(temp, sizeBytes, 'grow clone file').catch(removingTemp(temp));
    await this.makeDirectory(this.clonesDir()).catch(removingTemp(temp));
    const record: CloneRecord = { name, sourceVolumeName, snapshotName, createdAt: new Date().toISOString() };
    // The lineage first: a clone never appears without it.
    await writeJsonAtomically(this.cloneRecordPath(name), record).catch(removingTemp(temp));
    await this.renameInto(temp, path, this.pool, 'store clone file');
    return this.volumeAt(name, path);
  }

  // ---- group snapshots ------------------------------------------------------

  /**
   * One snapshot per member, all or nothing: when one fails, those made are deleted
   * again. The file system cannot freeze I/O across files, so the point in time is
   * only common to all members when nothing writes to them meanwhile: the snapshot
   * service holds the VM's volumes against Strata's own commands while this runs
   * (VolumeHolds in libs/pool-access), and a running guest must be paused or frozen
   * (guest agent) by the caller. With reflink
   * each member's copy is itself instantaneous; with sparse copy it is not.
   */
  async createGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<BackendSnapshot[]> {
    this.checkGroup(groupName, members);
    const made: BackendSnapshot[] = [];
    try {
      for (const member of members) made.push(await this.createSnapshot(member.volumeName, member.snapshotName));
    } catch (error) {
      const undone = await this.deleteMembers(members);
      const cause = isBackendError(error) ? error : toFileBackendError(error, 'create group snapshot', groupName);
      const cleanup =
        undone === true
          ? 'the snapshots already taken were deleted again'
          : `deleting the snapshots already taken failed too (${messageOf(undone)}); delete the group snapshot again`;
      throw new BackendError(cause.kind, cause.code, `group snapshot ${groupName} failed: ${cause.message}; ${cleanup}`, {
        cause,
        details: { ...cause.details, group: groupName },
      });
    }
    return made;
  }

  async deleteGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<void> {
    this.checkGroup(groupName, members);
    for (const member of members) await this.deleteSnapshot(member.volumeName, member.snapshotName);
  }

  // ---- volume trees ---------------------------------------------------------

  /**
   * The tree from its root (the volume no live clone record leads above): each
   * volume, then its snapshots oldest first, then the clones made from them. usedBytes
   * adds up every member's allocation; with reflink, shared extents count once per
   * file, so it is an upper bound of what the tree holds on disk.
   */
  async getVolumeTree(volumeName: string): Promise<VolumeTree> {
    await this.volumeAt(volumeName, this.volumePath(volumeName));
    const clones = await this.cloneRecords();
    const root = await this.rootOf(volumeName, clones);
    const members: VolumeTreeMember[] = [];
    await this.collectTree(root, 'volume', null, clones, members, new Set());
    return {
      root,
      members,
      usedBytes: members.reduce((sum, member) => sum + (member.allocatedBytes ?? member.sizeBytes), 0),
      snapshotCount: members.filter((member) => member.kind === 'snapshot').length,
      snapshotLimit: this.manifest.limits.snapshotsPerVolumeTree,
    };
  }

  /**
   * The volume, its snapshots and every clone made from them (recursively), deepest
   * first so that a crash part-way leaves a smaller tree that a retry finishes. A
   * missing volume still has its leftovers (snapshots, clones) removed.
   */
  async deleteVolumeTree(volumeName: string): Promise<void> {
    await this.deleteSubtree(volumeName, await this.cloneRecords(), new Set());
  }

  async close(): Promise<void> {
    // No connections or handles outlive a call.
  }

  // ---- paths ----------------------------------------------------------------

  /** Validates the name first: it becomes a file name, so '../' must never get through. */
  private volumePath(name: string): string {
    assertBackendName(this.manifest, name);
    return join(this.pool, `${name}${VOLUME_SUFFIX}`);
  }

  private snapshotDir(volumeName: string): string {
    assertBackendName(this.manifest, volumeName);
    return join(this.pool, SNAPSHOTS_DIR, volumeName);
  }

  private snapshotPath(volumeName: string, snapshotName: string): string {
    assertBackendName(this.manifest, snapshotName);
    return join(this.snapshotDir(volumeName), `${snapshotName}${VOLUME_SUFFIX}`);
  }

  private snapshotRecordPath(volumeName: string, snapshotName: string): string {
    assertBackendName(this.manifest, snapshotName);
    return join(this.snapshotDir(volumeName), `${snapshotName}${METADATA_SUFFIX}`);
  }

  private clonesDir(): string {
    return join(this.pool, CLONES_DIR);
  }

  private cloneRecordPath(name: string): string {
    assertBackendName(this.manifest, name);
    return join(this.clonesDir(), `${name}${METADATA_SUFFIX}`);
  }

  // ---- volumes --------------------------------------------------------------

  private async adoptExisting(name: string, path: string, sizeBytes: number): Promise<BackendVolume> {
    const current = await this.statVolume(name, path);
    if (current.size === sizeBytes) return toVolume(name, path, current);
    // open('wx') and ftruncate are two calls; a crash between them leaves an
    // empty file, and no finished volume is empty (minSizeBytes > 0).
    if (current.size === 0) {
      await this.setLength(path, sizeBytes, 'finish volume file');
      return this.volumeAt(name, path);
    }
    throw new BackendError(
      'conflict',
      BackendErrorCode.VolumeSizeConflict,
      `volume ${name} already exists in pool ${this.pool} with ${current.size} bytes, not the ${sizeBytes} requested`,
      { details: { name, path, existingSizeBytes: current.size, requestedSizeBytes: sizeBytes } },
    );
  }

  /** A retried clone finds its volume: the same lineage is success, anything else a conflict. */
  private async adoptClone(request: CloneRequest, path: string): Promise<BackendVolume> {
    const { name, sourceVolumeName, snapshotName } = request;
    const volume = await this.volumeAt(name, path);
    const record = await readCloneRecord(this.cloneRecordPath(name));
    const sameLineage = record?.sourceVolumeName === sourceVolumeName && record.snapshotName === snapshotName;
    if (sameLineage && (request.sizeBytes === undefined || request.sizeBytes === volume.sizeBytes)) return volume;
    const what = sameLineage
      ? `with ${volume.sizeBytes} bytes, not the ${String(request.sizeBytes)} requested`
      : record === undefined
        ? 'and is not a clone'
        : `as a clone of ${record.snapshotName} of ${record.sourceVolumeName}`;
    throw new BackendError('conflict', BackendErrorCode.VolumeSizeConflict, `volume ${name} already exists in pool ${this.pool} ${what}`, {
      details: { name, path, sourceVolumeName, snapshotName },
    });
  }

  private async volumeAt(name: string, path: string): Promise<BackendVolume> {
    return toVolume(name, path, await this.statVolume(name, path));
  }

  /** lstat, so that a symlink planted under a volume's name is refused rather than followed. */
  private async statVolume(name: string, path: string): Promise<Stats> {
    const stats = await this.statIfPresent(path, 'inspect volume file');
    if (stats === undefined) {
      throw new BackendError('not_found', BackendErrorCode.VolumeNotFound, `volume ${name} not found in pool ${this.pool}`, {
        details: { name, path },
      });
    }
    if (!stats.isFile()) {
      throw new BackendError('conflict', 'file.not_a_volume', `${path} exists but is not a regular file`, {
        details: { name, path },
      });
    }
    return stats;
  }

  private async statIfPresent(path: string, operation: string): Promise<Stats | undefined> {
    try {
      return await fsp.lstat(path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw toFileBackendError(error, operation, path);
    }
  }

  private async volumeExists(name: string): Promise<boolean> {
    return (await this.statIfPresent(this.volumePath(name), 'inspect volume file'))?.isFile() === true;
  }

  /** The volume file, then its lineage record and its (empty) snapshot directory. */
  private async removeVolumeFiles(name: string, path: string): Promise<void> {
    await unlinkIfPresent(path, 'delete volume file');
    await unlinkIfPresent(this.cloneRecordPath(name), 'delete clone record');
    await removeTree(this.snapshotDir(name));
  }

  private async setLength(path: string, sizeBytes: number, operation: string): Promise<void> {
    try {
      const handle = await fsp.open(path, 'r+');
      try {
        await handle.truncate(sizeBytes);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw toFileBackendError(error, operation, path);
    }
  }

  // ---- snapshots and copies -------------------------------------------------

  /** The volume's snapshots, oldest first; a directory that does not exist has none. */
  private async snapshotEntries(volumeName: string): Promise<SnapshotEntry[]> {
    const dir = this.snapshotDir(volumeName);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return [];
      throw toFileBackendError(error, 'list snapshot directory', dir);
    }
    const entries: SnapshotEntry[] = [];
    for (const file of names) {
      if (!file.endsWith(VOLUME_SUFFIX) || file.startsWith('.')) continue;
      const entry = await this.snapshotEntry(volumeName, file.slice(0, -VOLUME_SUFFIX.length));
      if (entry !== undefined) entries.push(entry);
    }
    return entries.sort(compareSnapshots);
  }

  private async snapshotEntry(volumeName: string, snapshotName: string): Promise<SnapshotEntry | undefined> {
    const path = this.snapshotPath(volumeName, snapshotName);
    const stats = await this.statIfPresent(path, 'inspect snapshot file');
    if (stats === undefined || !stats.isFile()) return undefined;
    const record = await readSnapshotRecord(this.snapshotRecordPath(volumeName, snapshotName));
    return { name: snapshotName, path, stats, record };
  }

  private async requireSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotEntry> {
    const entry = await this.snapshotEntry(volumeName, snapshotName);
    if (entry === undefined) {
      throw new BackendError('not_found', 'snapshot.not_found', `snapshot ${snapshotName} of volume ${volumeName} not found in pool ${this.pool}`, {
        details: { volumeName, snapshotName },
      });
    }
    return entry;
  }

  /**
   * Copies src into the new file temp: a reflink when the file system can, else a
   * sparse copy. A reflink refused after all (a snapshot directory on another mount)
   * falls back to the sparse copy; any other failure removes temp and is mapped.
   */
  private async copyInto(src: string, temp: string, operation: string, target: string): Promise<void> {
    try {
      if (this.reflinkSupported === true) {
        try {
          await this.cloneFile(src, temp);
          await syncFile(temp);
          return;
        } catch (error) {
          if (!isReflinkUnsupported(error)) throw error;
          await fsp.rm(temp, { force: true });
        }
      }
      await sparseCopy(src, temp);
    } catch (error) {
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw toFileBackendError(error, operation, target);
    }
  }

  private async renameInto(temp: string, path: string, dir: string, operation: string): Promise<void> {
    try {
      await fsp.rename(temp, path);
    } catch (error) {
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw toFileBackendError(error, operation, path);
    }
    await syncDirectory(dir);
  }

  private async makeDirectory(dir: string): Promise<void> {
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (error) {
      throw toFileBackendError(error, 'create directory', dir);
    }
  }

  private checkGroup(groupName: string, members: readonly GroupSnapshotMember[]): void {
    assertBackendName(this.manifest, groupName);
    const volumes = members.map((member) => member.volumeName);
    let problem: string | undefined;
    if (members.length === 0) problem = 'a group snapshot needs at least one member';
    else if (new Set(volumes).size !== volumes.length) problem = 'each volume may appear once in a group snapshot';
    if (problem !== undefined) {
      throw new BackendError('invalid', 'group_snapshot.members_invalid', `group snapshot ${groupName}: ${problem} (members)`, {
        details: { violations: [{ field: 'members', rule: 'members', message: problem }] },
      });
    }
    for (const member of members) this.snapshotPath(member.volumeName, member.snapshotName);
  }

  /** True when every member's snapshot is gone, else the first error. */
  private async deleteMembers(members: readonly GroupSnapshotMember[]): Promise<true | unknown> {
    let failure: unknown;
    for (const member of members) {
      await this.deleteSnapshot(member.volumeName, member.snapshotName).catch((error: unknown) => {
        failure ??= error;
      });
    }
    return failure === undefined ? true : failure;
  }

  // ---- trees ----------------------------------------------------------------

  /** Every clone's lineage, by clone name. */
  private async cloneRecords(): Promise<Map<string, CloneRecord>> {
    const dir = this.clonesDir();
    let files: string[];
    try {
      files = await fsp.readdir(dir);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return new Map();
      throw toFileBackendError(error, 'list clone records', dir);
    }
    const records = new Map<string, CloneRecord>();
    for (const file of files) {
      if (!file.endsWith(METADATA_SUFFIX) || file.startsWith('.')) continue;
      const record = await readCloneRecord(join(dir, file));
      if (record !== undefined) records.set(record.name, record);
    }
    return records;
  }

  /** Walks up clone records while the volume they name still exists. */
  private async rootOf(volumeName: string, clones: ReadonlyMap<string, CloneRecord>): Promise<string> {
    const seen = new Set<string>([volumeName]);
    let current = volumeName;
    for (;;) {
      const record = clones.get(current);
      if (record === undefined || seen.has(record.sourceVolumeName)) return current;
      if (!(await this.volumeExists(record.sourceVolumeName))) return current;
      seen.add(record.sourceVolumeName);
      current = record.sourceVolumeName;
    }
  }

  private async collectTree(
    volumeName: string,
    kind: 'volume' | 'clone',
    parent: string | null,
    clones: ReadonlyMap<string, CloneRecord>,
    members: VolumeTreeMember[],
    seen: Set<string>,
  ): Promise<void> {
    seen.add(volumeName);
    const path = this.volumePath(volumeName);
    const stats = await this.statIfPresent(path, 'inspect volume file');
    if (stats === undefined || !stats.isFile()) return;
    members.push({ name: volumeName, kind, parent, sizeBytes: stats.size, allocatedBytes: allocatedOf(stats) });
    const snapshots = await this.snapshotEntries(volumeName);
    for (const snapshot of snapshots) {
      members.push({
        name: snapshot.name,
        kind: 'snapshot',
        parent: volumeName,
        sizeBytes: snapshot.stats.size,
        allocatedBytes: allocatedOf(snapshot.stats),
      });
    }
    const children = [...clones.values()]
      .filter((record) => record.sourceVolumeName === volumeName && !seen.has(record.name))
      .sort((a, b) => compareNames(a.createdAt, b.createdAt) || compareNames(a.name, b.name));
    for (const child of children) {
      // A clone whose snapshot was deleted since still descends from the volume.
      const from = snapshots.some((snapshot) => snapshot.name === child.snapshotName) ? child.snapshotName : volumeName;
      await this.collectTree(child.name, 'clone', from, clones, members, seen);
    }
  }

  private async deleteSubtree(volumeName: string, clones: ReadonlyMap<string, CloneRecord>, seen: Set<string>): Promise<void> {
    const path = this.volumePath(volumeName);
    seen.add(volumeName);
    for (const record of clones.values()) {
      if (record.sourceVolumeName === volumeName && !seen.has(record.name)) await this.deleteSubtree(record.name, clones, seen);
    }
    for (const snapshot of await this.snapshotEntries(volumeName)) await this.deleteSnapshot(volumeName, snapshot.name);
    await this.removeVolumeFiles(volumeName, path);
  }

  // ---- connect --------------------------------------------------------------

  private async createPoolDirectory(): Promise<Stats> {
    try {
      await fsp.mkdir(this.pool, { recursive: true });
      return await fsp.stat(this.pool);
    } catch (error) {
      if (errnoOf(error) === 'ENOTDIR' || errnoOf(error) === 'EEXIST') throw this.notADirectory(error);
      throw toFileBackendError(error, 'create pool directory', this.pool);
    }
  }

  /**
   * Writes a probe file and reflinks it: permission bits, ACLs, read-only mounts
   * and NFS root squashing all show up in a real write (access(W_OK) misses some of
   * them), and only a real FICLONE tells whether this file system shares extents.
   * Returns whether it does.
   */
  private async probe(): Promise<boolean> {
    const probe = join(this.pool, `${PROBE_PREFIX}${randomUUID()}`);
    const clone = `${probe}-clone`;
    try {
      let handle: fsp.FileHandle;
      try {
        handle = await fsp.open(probe, 'wx');
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
          const uid = process.getuid?.() ?? 'unknown';
          throw new BackendError(
            'terminal',
            'file.pool_not_writable',
            `pool directory ${this.pool} is not writable by this process (uid ${uid}): ${reasonOf(error)}`,
            { cause: error, details: { path: this.pool, errno } },
          );
        }
        throw toFileBackendError(error, 'write a probe file into pool directory', this.pool);
      }
      try {
        // A block of data: some file systems take a shortcut for empty files.
        await handle.write(Buffer.alloc(4096, 0x5a), 0, 4096, 0);
      } catch (error) {
        throw toFileBackendError(error, 'write a probe file into pool directory', this.pool);
      } finally {
        await handle.close().catch(() => undefined);
      }
      try {
        await this.cloneFile(probe, clone);
        return true;
      } catch (error) {
        if (isReflinkUnsupported(error)) return false;
        throw toFileBackendError(error, 'reflink a probe file in pool directory', this.pool);
      }
    } finally {
      await unlinkIfPresent(clone, 'remove probe file');
      await unlinkIfPresent(probe, 'remove probe file');
    }
  }

  /** Temp files of crashed attempts, in the pool and the snapshot directories. Best effort: garbage must not block connect. */
  private async removeStaleTemps(): Promise<void> {
    const dirs = [this.pool, this.clonesDir()];
    const snapshotsRoot = join(this.pool, SNAPSHOTS_DIR);
    const volumeDirs = await fsp.readdir(snapshotsRoot).catch(() => [] as string[]);
    dirs.push(...volumeDirs.map((name) => join(snapshotsRoot, name)));
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const dir of dirs) {
      const files = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const file of files) {
        if (!file.startsWith(TEMP_PREFIX) && !file.startsWith(PROBE_PREFIX)) continue;
        const path = join(dir, file);
        const stats = await fsp.lstat(path).catch(() => undefined);
        if (stats !== undefined && stats.isFile() && stats.mtimeMs < cutoff) await fsp.rm(path, { force: true }).catch(() => undefined);
      }
    }
  }

  private notADirectory(cause?: unknown): BackendError {
    return new BackendError(
      'invalid',
      'file.pool_not_directory',
      `pool path ${this.pool} is not a directory (it, or one of its parents, is a file); set path to a directory`,
      { cause, details: { path: this.pool, violations: [{ field: 'path', rule: 'isDirectory', message: 'path must name a directory' }] } },
    );
  }
}

function toVolume(name: string, path: string, stats: Stats): BackendVolume {
  return { name, sizeBytes: stats.size, allocatedBytes: allocatedOf(stats), path };
}

function toSnapshot(volumeName: string, entry: SnapshotEntry): BackendSnapshot {
  return {
    name: entry.name,
    volumeName,
    sizeBytes: entry.stats.size,
    createdAt: entry.record?.createdAt ?? entry.stats.mtime.toISOString(),
  };
}

function allocatedOf(stats: Stats): number {
  return stats.blocks * STAT_BLOCK_BYTES;
}

/** Oldest first by the record (sequence breaks ties within a millisecond); a snapshot without one by its mtime. */
function compareSnapshots(a: SnapshotEntry, b: SnapshotEntry): number {
  const time = (entry: SnapshotEntry): number => (entry.record !== undefined ? Date.parse(entry.record.createdAt) : entry.stats.mtimeMs);
  return time(a) - time(b) || (a.record?.sequence ?? 0) - (b.record?.sequence ?? 0) || compareNames(a.name, b.name);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The reverted volume is a new file: it keeps the old one's mode, and its owner where
 * this process may set it (libvirt may have given the volume to the qemu user).
 */
async function keepOwnership(temp: string, volume: Stats): Promise<void> {
  try {
    await fsp.chmod(temp, volume.mode & 0o7777);
    await fsp.chown(temp, volume.uid, volume.gid).catch((error: unknown) => {
      if (errnoOf(error) !== 'EPERM') throw error;
    });
  } catch (error) {
    throw toFileBackendError(error, 'set owner and mode of reverted volume file', temp);
  }
}

/** A rejection handler that removes a half-made temp file, then rethrows. */
function removingTemp(temp: string): (error: unknown) => Promise<never> {
  return async (error) => {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function unlinkIfPresent(path: string, operation: string): Promise<void> {
  try {
    await fsp.unlink(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw toFileBackendError(error, operation, path);
  }
}

async function rmdirIfEmpty(dir: string): Promise<void> {
  try {
    await fsp.rmdir(dir);
  } catch (error) {
    const errno = errnoOf(error);
    // Not empty (other snapshots, a record or temp file) or already gone: both fine.
    if (errno !== 'ENOENT' && errno !== 'ENOTEMPTY' && errno !== 'EEXIST') throw toFileBackendError(error, 'remove snapshot directory', dir);
  }
}

/** A volume's snapshot directory once its snapshots are gone: only stray records and temp files remain. */
async function removeTree(dir: string): Promise<void> {
  try {
    await fsp.rm(dir, { recursive: true, force: true });
  } catch (error) {
    throw toFileBackendError(error, 'remove snapshot directory', dir);
  }
}

function assertHost(host: string): void {
  if (host.trim() === '') {
    throw new BackendError('invalid', 'host.invalid', 'host must name the hypervisor host (nonEmpty)', {
      details: { violations: [{ field: 'host', rule: 'nonEmpty', message: 'host must not be empty' }] },
    });
  }
}
