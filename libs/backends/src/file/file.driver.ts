import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertBackendName,
  assertVolumeSize,
  BackendError,
  BackendErrorCode,
  type AccessGrant,
  type BackendCapacity,
  type BackendVolume,
  type CreateVolumeRequest,
  type PrimaryStorageDriver,
  type ResizeOptions,
  type VolumeTree,
} from '@strata/plugin-sdk';
import type { FileConfig } from './file.config';
import { errnoOf, reasonOf, toFileBackendError } from './file.errors';
import { fileManifest } from './file.manifest';

const VOLUME_SUFFIX = '.raw';
/** st_blocks counts 512-byte units whatever the file system's block size. */
const STAT_BLOCK_BYTES = 512;

/**
 * A pool is a directory; a volume is the sparse RAW file `<pool>/<name>.raw`.
 * The file is its own device path: hosts reach it locally or over the same NFS
 * mount, so granting and revoking access need no backend step.
 */
export class FileDriver implements PrimaryStorageDriver {
  readonly manifest = fileManifest;
  private readonly pool: string;

  constructor(config: FileConfig) {
    this.pool = config.path;
  }

  /** Makes the directory if it is missing, then proves it is a directory this process can write to. */
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
    await this.probeWritable();
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
    return this.describe(name, path);
  }

  async deleteVolume(name: string): Promise<void> {
    const path = this.volumePath(name);
    try {
      await fsp.unlink(path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      throw toFileBackendError(error, 'delete volume file', path);
    }
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
    return this.describe(name, path);
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
    return volumes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Without snapshots a file volume's tree is the volume alone. */
  async getVolumeTree(name: string): Promise<VolumeTree> {
    const volume = await this.describe(name, this.volumePath(name));
    return {
      root: name,
      members: [{ name, kind: 'volume', parent: null, sizeBytes: volume.sizeBytes, allocatedBytes: volume.allocatedBytes }],
      usedBytes: volume.allocatedBytes ?? volume.sizeBytes,
      snapshotCount: 0,
      snapshotLimit: this.manifest.limits.snapshotsPerVolumeTree,
    };
  }

  async deleteVolumeTree(name: string): Promise<void> {
    await this.deleteVolume(name);
  }

  async close(): Promise<void> {
    // No connections or handles outlive a call.
  }

  /** Validates the name first: it becomes a file name, so '../' must never get through. */
  private volumePath(name: string): string {
    assertBackendName(this.manifest, name);
    return join(this.pool, `${name}${VOLUME_SUFFIX}`);
  }

  private async adoptExisting(name: string, path: string, sizeBytes: number): Promise<BackendVolume> {
    const current = await this.statVolume(name, path);
    if (current.size === sizeBytes) return toVolume(name, path, current);
    // open('wx') and ftruncate are two calls; a crash between them leaves an
    // empty file, and no finished volume is empty (minSizeBytes > 0).
    if (current.size === 0) {
      await this.setLength(path, sizeBytes, 'finish volume file');
      return this.describe(name, path);
    }
    throw new BackendError(
      'conflict',
      BackendErrorCode.VolumeSizeConflict,
      `volume ${name} already exists in pool ${this.pool} with ${current.size} bytes, not the ${sizeBytes} requested`,
      { details: { name, path, existingSizeBytes: current.size, requestedSizeBytes: sizeBytes } },
    );
  }

  private async describe(name: string, path: string): Promise<BackendVolume> {
    return toVolume(name, path, await this.statVolume(name, path));
  }

  /** lstat, so that a symlink planted under a volume's name is refused rather than followed. */
  private async statVolume(name: string, path: string): Promise<Stats> {
    let stats: Stats;
    try {
      stats = await fsp.lstat(path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') {
        throw new BackendError('not_found', BackendErrorCode.VolumeNotFound, `volume ${name} not found in pool ${this.pool}`, {
          cause: error,
          details: { name, path },
        });
      }
      throw toFileBackendError(error, 'inspect volume file', path);
    }
    if (!stats.isFile()) {
      throw new BackendError('conflict', 'file.not_a_volume', `${path} exists but is not a regular file`, {
        details: { name, path },
      });
    }
    return stats;
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
   * Writes and removes a probe file: permission bits, ACLs, read-only mounts
   * and NFS root squashing all show up in a real write, while access(W_OK)
   * misses some of them.
   */
  private async probeWritable(): Promise<void> {
    const probe = join(this.pool, `.strata-probe-${randomUUID()}`);
    try {
      await (await fsp.open(probe, 'wx')).close();
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
      await fsp.unlink(probe);
    } catch (error) {
      throw toFileBackendError(error, 'remove probe file', probe);
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
  return { name, sizeBytes: stats.size, allocatedBytes: stats.blocks * STAT_BLOCK_BYTES, path };
}

function assertHost(host: string): void {
  if (host.trim() === '') {
    throw new BackendError('invalid', 'host.invalid', 'host must name the hypervisor host (nonEmpty)', {
      details: { violations: [{ field: 'host', rule: 'nonEmpty', message: 'host must not be empty' }] },
    });
  }
}
