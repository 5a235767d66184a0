import * as fsp from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  assertBackendName,
  assertVolumeSize,
  BackendError,
  BackendErrorCode,
  clientTuning,
  isBackendError,
  waitFor,
  type AccessGrant,
  type BackendCapacity,
  type BackendSnapshot,
  type BackendVolume,
  type CloneCapable,
  type CloneRequest,
  type CreateVolumeRequest,
  type GroupSnapshotCapable,
  type GroupSnapshotMember,
  type MigrationStatus,
  type MigrationTarget,
  type NativeMigrationCapable,
  type PrimaryStorageDriver,
  type QosCapable,
  type QosLimits,
  type ResizeOptions,
  type RevertCapable,
  type SnapshotCapable,
  type VolumeTree,
  type VolumeTreeMember,
} from '@strata/plugin-sdk';
import { PowerFlexClient, type PfStatistics, type PfStoragePool, type PfVolume, type PowerFlexClientOptions } from './powerflex.client';
import type { PowerFlexConfig } from './powerflex.config';
import { powerflexManifest } from './powerflex.manifest';

const KiB = 1024;
const GiB = 2 ** 30;
/** bandwidthLimitInKbps must be a multiple of 1024 KB/s, i.e. whole MiB/s. */
const BANDWIDTH_STEP_BYTES = 1024 * KiB;
const SDC_ID = /^[0-9a-f]{16}$/i;
const POOL_ID = /^[0-9a-f]{16}$/i;
/** Where the SDC makes a mapped volume appear on a Linux host. */
const HOST_DEVICE_DIR = '/dev/disk/by-id';

interface ResolvedPool extends PfStoragePool {
  readonly systemId: string;
}

interface DesiredQos {
  readonly iops: number;
  readonly bandwidthKbps: number;
}

/**
 * PowerFlex primary storage through the REST gateway. Volumes are found by name
 * (queryIdByKey, system-wide, so names carry the pool key and installation id), every
 * object of a volume's family lives in its VTree, and access is an SDC mapping.
 *
 * How snapshots and clones are told apart: both are volumeType 'Snapshot' on the array.
 * Snapshots are taken read-only (accessModeLimit ReadOnly, so nobody writes into a
 * restore point); clones are writable snapshots named like volumes. A writable snapshot
 * named otherwise (made by CloudStack, say) counts as a snapshot, so the reconciler never
 * mistakes someone else's restore point for a volume of ours.
 *
 * QoS: PowerFlex limits IOPS and bandwidth per SDC mapping, not per volume. The desired
 * limits are kept by the driver per volume and applied to every mapping now and on each
 * later grant; after a restart they are recovered from any existing mapping of the volume.
 * The array has no per-volume property to keep them in while the volume is unmapped, so the
 * caller (which records the QoS in its events) calls setQos again after a restart.
 */
export class PowerFlexDriver
  implements PrimaryStorageDriver, SnapshotCapable, RevertCapable, CloneCapable, GroupSnapshotCapable, QosCapable, NativeMigrationCapable
{
  readonly manifest = powerflexManifest;
  private readonly client: PowerFlexClient;
  private readonly diskWaitMs: number;
  private pool: ResolvedPool | undefined;
  private readonly sdcIds = new Map<string, string>();
  private readonly desiredQos = new Map<string, DesiredQos>();

  constructor(
    private readonly config: PowerFlexConfig,
    options: Pick<PowerFlexClientOptions, 'readRetries' | 'retryDelayMs' | 'sessionIdleMs' | 'sessionMaxMs'> = {},
  ) {
    const tuning = clientTuning(config);
    this.diskWaitMs = tuning.diskWaitMs;
    this.client = new PowerFlexClient({
      gatewayUrl: config.gatewayUrl,
      username: config.username,
      password: config.password,
      timeoutMs: tuning.timeoutMs,
      maxConnections: tuning.maxConnections,
      ...options,
    });
  }

  /** Checks the gateway version (3.5+), the credentials, and finds the pool, its protection domain and system. */
  async connect(): Promise<void> {
    const version = await this.client.version();
    const numeric = Number.parseFloat(version);
    if (!Number.isFinite(numeric) || numeric < 3.5) {
      throw new BackendError('invalid', 'powerflex.unsupported_version', `the PowerFlex gateway reports version ${version}; 3.5 or later is needed`, {
        details: { version },
      });
    }
    await this.client.authenticate();
    this.pool = await this.resolvePool(this.config.storagePool, this.config.protectionDomain);
  }

  async getCapacity(): Promise<BackendCapacity> {
    const pool = await this.connected();
    const stats = await this.client.poolStatistics(pool.id);
    const max = kb(stats, 'maxCapacityInKb');
    const spare = kb(stats, 'spareCapacityInKb');
    // CloudStack's net capacity: every block is kept twice, spare capacity holds nothing.
    const totalBytes = Math.max(0, Math.floor((max - spare) / 2)) * KiB;
    // Used is what the pool's volumes and snapshots have allocated (net, one copy), the
    // figure CloudStack reports per volume as its physical size; thick volumes count whole.
    const provisioned = stats.netProvisionedAddressesInKb;
    const usedKb = provisioned === undefined ? Math.max(0, (max - spare) / 2 - kb(stats, 'netUnusedCapacityInKb')) : kb(stats, 'netProvisionedAddressesInKb');
    const usedBytes = Math.min(totalBytes, Math.floor(usedKb) * KiB);
    return { totalBytes, usedBytes, freeBytes: totalBytes - usedBytes };
  }

  async createVolume(request: CreateVolumeRequest): Promise<BackendVolume> {
    const { name, sizeBytes } = request;
    assertBackendName(this.manifest, name);
    assertVolumeSize(this.manifest, sizeBytes);
    const pool = await this.connected();
    const existing = await this.client.findVolume(name);
    if (existing !== undefined) return this.adopt(existing, sizeBytes, pool);
    try {
      await this.client.action(
        '/api/types/Volume/instances',
        {
          name,
          storagePoolId: pool.id,
          protectionDomainId: pool.protectionDomainId,
          volumeType: request.thin === false ? 'ThickProvisioned' : 'ThinProvisioned',
          volumeSizeInKb: String(sizeBytes / KiB),
        },
        `create volume ${name} in storage pool ${pool.name}`,
      );
    } catch (error) {
      // Made by a concurrent or an earlier, crashed attempt: the name says it is ours.
      if (isBackendError(error) && error.code === 'powerflex.name_in_use') {
        const found = await this.client.findVolume(name);
        if (found !== undefined) return this.adopt(found, sizeBytes, pool);
      }
      throw error;
    }
    return toVolume(await this.requireVolume(name));
  }

  async deleteVolume(name: string): Promise<void> {
    assertBackendName(this.manifest, name);
    await this.connected();
    const volume = await this.client.findVolume(name);
    if (volume === undefined) return;
    // ONLY_ME would leave the snapshots behind, moved up in the VTree; the SDK's rule is to
    // refuse and name them (deleteVolumeTree removes the lot).
    const members = await this.client.vtreeVolumes(volume.vtreeId, `list the VTree of volume ${name}`);
    const children = members.filter((m) => m.ancestorVolumeId === volume.id).map((m) => m.name ?? m.id);
    if (children.length > 0) {
      throw new BackendError('conflict', 'powerflex.volume_has_snapshots', `cannot delete volume ${name}: it still has snapshots or clones (${children.join(', ')}); delete them first or delete the whole volume tree`, {
        details: { name, descendants: children },
      });
    }
    await this.remove(volume, 'ONLY_ME', `delete volume ${name}`);
  }

  async resizeVolume(name: string, sizeBytes: number, options: ResizeOptions): Promise<BackendVolume> {
    assertBackendName(this.manifest, name);
    assertVolumeSize(this.manifest, sizeBytes);
    await this.connected();
    const volume = await this.requireVolume(name);
    const current = volume.sizeInKb * KiB;
    if (sizeBytes === current) return toVolume(volume);
    if (sizeBytes < current) {
      const message = `shrinking ${name} from ${current} to ${sizeBytes} bytes destroys the data past the new end`;
      if (!options.allowShrink) {
        throw new BackendError('invalid', BackendErrorCode.ShrinkNotAllowed, `${message}; pass allowShrink to do it`, {
          details: { violations: [{ field: 'sizeBytes', rule: 'allowShrink', message }] },
        });
      }
      throw new BackendError('invalid', BackendErrorCode.UnsupportedOperation, `cannot shrink ${name}: PowerFlex volumes can only grow`, {
        details: { violations: [{ field: 'sizeBytes', rule: 'growOnly', message: 'PowerFlex volume capacity can only be increased' }] },
      });
    }
    await this.client.volumeAction(volume.id, 'setVolumeSize', { sizeInGB: String(sizeBytes / GiB) }, `resize volume ${name} to ${sizeBytes / GiB} GiB`);
    return toVolume({ ...(await this.client.getVolume(volume.id, name)), name });
  }

  async grantAccess(name: string, host: string): Promise<AccessGrant> {
    assertBackendName(this.manifest, name);
    const pool = await this.connected();
    const volume = await this.requireVolume(name);
    const sdcId = await this.resolveSdc(host);
    const operation = `map volume ${name} to SDC ${sdcId} (host ${host})`;
    const mappings = volume.mappedSdcInfo ?? [];
    if (!mappings.some((m) => m.sdcId === sdcId)) {
      try {
        // Always allowed: a live migration maps the volume on the destination host too.
        await this.client.volumeAction(volume.id, 'addMappedSdc', { sdcId, allowMultipleMappings: 'TRUE' }, operation);
      } catch (error) {
        if (!(isBackendError(error) && error.code === 'powerflex.already_mapped')) throw error;
      }
    }
    const desired = this.desiredQos.get(volume.id) ?? qosFromMappings(volume, sdcId);
    const mine = mappings.find((m) => m.sdcId === sdcId);
    if (desired !== undefined && (mine === undefined || !sameLimits(mine, desired))) {
      this.desiredQos.set(volume.id, desired);
      await this.applyLimits(volume.id, name, sdcId, desired);
    }
    return { devicePath: await this.waitForDevice(pool.systemId, volume.id, sdcId, name) };
  }

  async revokeAccess(name: string, host: string): Promise<void> {
    assertBackendName(this.manifest, name);
    await this.connected();
    const volume = await this.client.findVolume(name);
    if (volume === undefined) return;
    const sdcId = await this.resolveSdc(host).catch((error: unknown) => {
      // A host the system does not know cannot have the volume mapped.
      if (isBackendError(error) && error.code === 'powerflex.sdc_not_found') return undefined;
      throw error;
    });
    if (sdcId === undefined || !(volume.mappedSdcInfo ?? []).some((m) => m.sdcId === sdcId)) return;
    try {
      await this.client.volumeAction(volume.id, 'removeMappedSdc', { sdcId }, `unmap volume ${name} from SDC ${sdcId} (host ${host})`);
    } catch (error) {
      if (!(isBackendError(error) && error.code === 'powerflex.not_mapped')) throw error;
    }
  }

  /** The pool's volumes and clones; snapshots belong to their volumes, not to this inventory. */
  async listVolumes(): Promise<BackendVolume[]> {
    const pool = await this.connected();
    const volumes = await this.client.poolVolumes(pool.id);
    return volumes
      .filter((v): v is PfVolume & { name: string } => v.name !== null && !this.isSnapshot(v))
      .map(toVolume)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getVolumeTree(volumeName: string): Promise<VolumeTree> {
    assertBackendName(this.manifest, volumeName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const operation = `read the VTree of volume ${volumeName}`;
    const [members, stats] = await Promise.all([
      this.client.vtreeVolumes(volume.vtreeId, operation),
      this.client.vtreeStatistics(volume.vtreeId, operation),
    ]);
    const names = new Map(members.map((m) => [m.id, m.name ?? m.id]));
    const treeMembers: VolumeTreeMember[] = members.map((m) => ({
      name: m.name ?? m.id,
      kind: m.ancestorVolumeId === null ? 'volume' : this.isSnapshot(m) ? 'snapshot' : 'clone',
      parent: m.ancestorVolumeId === null ? null : (names.get(m.ancestorVolumeId) ?? null),
      sizeBytes: m.sizeInKb * KiB,
    }));
    const base = members.find((m) => m.ancestorVolumeId === null);
    return {
      root: base?.name ?? volumeName,
      members: treeMembers,
      usedBytes: kb(stats, 'netProvisionedAddressesInKb') * KiB,
      snapshotCount: treeMembers.filter((m) => m.kind === 'snapshot').length,
      snapshotLimit: this.manifest.limits.snapshotsPerVolumeTree,
    };
  }

  /** The whole VTree when the volume is its base; otherwise the volume with its descendants. */
  async deleteVolumeTree(volumeName: string): Promise<void> {
    assertBackendName(this.manifest, volumeName);
    await this.connected();
    const volume = await this.client.findVolume(volumeName);
    if (volume === undefined) return;
    const mode = volume.ancestorVolumeId === null ? 'WHOLE_VTREE' : 'INCLUDING_DESCENDANTS';
    await this.remove(volume, mode, `delete the volume tree of ${volumeName}`);
  }

  async close(): Promise<void> {
    await this.client.logout();
  }

  // ---- snapshots -------------------------------------------------------------

  async createSnapshot(volumeName: string, snapshotName: string): Promise<BackendSnapshot> {
    assertBackendName(this.manifest, volumeName);
    assertBackendName(this.manifest, snapshotName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const existing = await this.client.findVolume(snapshotName);
    if (existing !== undefined) return this.adoptSnapshot(existing, volume, volumeName);
    try {
      const result = await this.client.snapshotVolumes(
        [{ volumeId: volume.id, snapshotName }],
        'ReadOnly',
        `snapshot volume ${volumeName} as ${snapshotName}`,
      );
      const id = result.volumeIdList[0];
      if (id === undefined) throw new BackendError('terminal', 'powerflex.bad_response', `snapshot ${snapshotName}: the gateway returned no id`);
      return toSnapshot(await this.client.getVolume(id, snapshotName), volumeName);
    } catch (error) {
      if (isBackendError(error) && error.code === 'powerflex.name_in_use') {
        const found = await this.client.findVolume(snapshotName);
        if (found !== undefined) return this.adoptSnapshot(found, volume, volumeName);
      }
      throw this.limitError(error, volumeName);
    }
  }

  /** The array counts VTree members (128); callers count snapshots (127): say both. */
  private limitError(error: unknown, volumeName: string): unknown {
    if (!isBackendError(error) || error.code !== 'powerflex.vtree_snapshot_limit') return error;
    const limit = this.manifest.limits.snapshotsPerVolumeTree;
    return new BackendError(
      error.kind,
      error.code,
      `cannot snapshot ${volumeName}: its VTree is full (PowerFlex allows ${limit} snapshots per volume tree, 128 members with the volume); delete snapshots first`,
      { cause: error, details: { ...error.details, snapshotLimit: limit } },
    );
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    assertBackendName(this.manifest, volumeName);
    assertBackendName(this.manifest, snapshotName);
    await this.connected();
    const snapshot = await this.client.findVolume(snapshotName);
    if (snapshot === undefined) return;
    if (snapshot.volumeType !== 'Snapshot') {
      throw new BackendError('conflict', 'powerflex.not_a_snapshot', `${snapshotName} is a volume, not a snapshot of ${volumeName}; refusing to delete it`);
    }
    await this.remove(snapshot, 'ONLY_ME', `delete snapshot ${snapshotName} of ${volumeName}`);
  }

  async listSnapshots(volumeName: string): Promise<BackendSnapshot[]> {
    assertBackendName(this.manifest, volumeName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const members = await this.client.vtreeVolumes(volume.vtreeId, `list snapshots of ${volumeName}`);
    return members
      .filter((m) => m.ancestorVolumeId === volume.id && m.name !== null && this.isSnapshot(m))
      .map((m, index) => ({ m, index }))
      .sort((a, b) => (a.m.creationTime ?? 0) - (b.m.creationTime ?? 0) || a.index - b.index)
      .map(({ m }) => toSnapshot(m, volumeName));
  }

  /** overwriteVolumeContent: any snapshot of the volume's VTree may be the source. */
  async revertToSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    assertBackendName(this.manifest, volumeName);
    assertBackendName(this.manifest, snapshotName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const snapshot = await this.requireSnapshot(snapshotName, volumeName);
    if (snapshot.vtreeId !== volume.vtreeId) {
      throw new BackendError('invalid', 'powerflex.vtree_mismatch', `cannot revert ${volumeName} to ${snapshotName}: the snapshot is not in the volume's VTree`);
    }
    await this.client.volumeAction(volume.id, 'overwriteVolumeContent', { srcVolumeId: snapshot.id }, `revert volume ${volumeName} to snapshot ${snapshotName}`);
  }

  /** A writable snapshot of the snapshot: a new volume in the same VTree (PowerFlex has no full copy). */
  async cloneFromSnapshot(request: CloneRequest): Promise<BackendVolume> {
    const { sourceVolumeName, snapshotName, name } = request;
    assertBackendName(this.manifest, sourceVolumeName);
    assertBackendName(this.manifest, snapshotName);
    assertBackendName(this.manifest, name);
    if (request.sizeBytes !== undefined) assertVolumeSize(this.manifest, request.sizeBytes);
    await this.connected();
    const snapshot = await this.requireSnapshot(snapshotName, sourceVolumeName);
    const target = request.sizeBytes ?? snapshot.sizeInKb * KiB;
    if (target < snapshot.sizeInKb * KiB) {
      throw new BackendError('invalid', BackendErrorCode.SizeInvalid, `clone ${name} cannot be smaller than snapshot ${snapshotName} (${snapshot.sizeInKb * KiB} bytes)`, {
        details: { violations: [{ field: 'sizeBytes', rule: 'atLeastSnapshotSize', message: 'a clone is at least as large as its snapshot' }] },
      });
    }
    let clone = await this.client.findVolume(name);
    if (clone === undefined) {
      try {
        const result = await this.client
          .snapshotVolumes([{ volumeId: snapshot.id, snapshotName: name }], 'ReadWrite', `clone ${name} from snapshot ${snapshotName}`)
          .catch((error: unknown) => {
            throw this.limitError(error, sourceVolumeName);
          });
        const id = result.volumeIdList[0];
        if (id === undefined) throw new BackendError('terminal', 'powerflex.bad_response', `clone ${name}: the gateway returned no id`);
        clone = await this.client.getVolume(id, name);
      } catch (error) {
        if (!(isBackendError(error) && error.code === 'powerflex.name_in_use')) throw error;
        clone = await this.client.findVolume(name);
        if (clone === undefined) throw error;
      }
    }
    if (clone.ancestorVolumeId !== snapshot.id || this.isSnapshot(clone)) {
      throw new BackendError('conflict', BackendErrorCode.VolumeSizeConflict, `${name} already exists and is not a clone of snapshot ${snapshotName}`, {
        details: { name },
      });
    }
    const current = clone.sizeInKb * KiB;
    if (current > target) {
      throw new BackendError('conflict', BackendErrorCode.VolumeSizeConflict, `clone ${name} already exists with ${current} bytes, not the ${target} requested`, {
        details: { name, existingSizeBytes: current, requestedSizeBytes: target },
      });
    }
    // Also finishes a clone whose earlier attempt stopped before the grow.
    if (current < target) {
      await this.client.volumeAction(clone.id, 'setVolumeSize', { sizeInGB: String(target / GiB) }, `grow clone ${name} to ${target / GiB} GiB`);
      clone = await this.client.getVolume(clone.id, name);
    }
    return toVolume(clone as PfVolume & { name: string });
  }

  /** One snapshotVolumes call with a def per member: the array makes them one consistency group. */
  async createGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<BackendSnapshot[]> {
    if (members.length === 0) {
      throw new BackendError('invalid', 'powerflex.empty_group', `group snapshot ${groupName} needs at least one member`);
    }
    for (const member of members) {
      assertBackendName(this.manifest, member.volumeName);
      assertBackendName(this.manifest, member.snapshotName);
    }
    await this.connected();
    const volumes = await Promise.all(members.map((m) => this.requireVolume(m.volumeName)));
    const existing = await Promise.all(members.map((m) => this.client.findVolume(m.snapshotName)));
    if (existing.every((e) => e !== undefined)) {
      return existing.map((e, i) => this.adoptSnapshot(e as PfVolume, volumes[i] as PfVolume, (members[i] as GroupSnapshotMember).volumeName));
    }
    const present = members.filter((_, i) => existing[i] !== undefined).map((m) => m.snapshotName);
    if (present.length > 0) {
      // snapshotVolumes is all or nothing, so a partial group is not ours to finish.
      throw new BackendError('conflict', 'powerflex.name_in_use', `group snapshot ${groupName}: ${present.join(', ')} already exist outside the group`, {
        details: { names: present },
      });
    }
    const result = await this.client
      .snapshotVolumes(
        members.map((m, i) => ({ volumeId: (volumes[i] as PfVolume).id, snapshotName: m.snapshotName })),
        'ReadOnly',
        `group snapshot ${groupName} of ${members.map((m) => m.volumeName).join(', ')}`,
      )
      .catch((error: unknown) => {
        throw this.limitError(error, members.map((m) => m.volumeName).join(', '));
      });
    const made = await this.client.volumesByIds(result.volumeIdList, `read group snapshot ${groupName}`);
    const byId = new Map(made.map((v) => [v.id, v]));
    return result.volumeIdList.map((id, i) => {
      const snapshot = byId.get(id);
      if (snapshot === undefined) throw new BackendError('transient', 'powerflex.bad_response', `group snapshot ${groupName}: snapshot ${id} vanished`);
      return toSnapshot(snapshot, (members[i] as GroupSnapshotMember).volumeName);
    });
  }

  async deleteGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<void> {
    for (const member of members) assertBackendName(this.manifest, member.snapshotName);
    const pool = await this.connected();
    const found = (await Promise.all(members.map((m) => this.client.findVolume(m.snapshotName)))).filter(
      (v): v is PfVolume => v !== undefined && v.volumeType === 'Snapshot',
    );
    const groups = new Set(found.map((v) => v.consistencyGroupId).filter((id): id is string => id !== null));
    for (const groupId of groups) {
      try {
        await this.client.removeConsistencyGroupSnapshots(pool.systemId, groupId, `delete group snapshot ${groupName}`);
      } catch (error) {
        if (!(isBackendError(error) && error.kind === 'not_found')) throw error;
      }
    }
    for (const loose of found.filter((v) => v.consistencyGroupId === null)) {
      await this.remove(loose, 'ONLY_ME', `delete snapshot ${loose.name ?? loose.id} of group ${groupName}`);
    }
  }

  // ---- QoS -----------------------------------------------------------------

  async setQos(volumeName: string, limits: QosLimits): Promise<void> {
    assertBackendName(this.manifest, volumeName);
    const requested = validatePowerFlexQos(limits);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const current = this.desiredQos.get(volume.id) ?? qosFromMappings(volume) ?? { iops: 0, bandwidthKbps: 0 };
    const desired: DesiredQos = {
      iops: requested.iops ?? current.iops,
      bandwidthKbps: requested.bandwidthKbps ?? current.bandwidthKbps,
    };
    this.desiredQos.set(volume.id, desired);
    for (const mapping of volume.mappedSdcInfo ?? []) {
      if (!sameLimits(mapping, desired)) await this.applyLimits(volume.id, volumeName, mapping.sdcId, desired);
    }
  }

  // ---- migration -----------------------------------------------------------

  /**
   * The cluster is the gateway, as configured: one gateway fronts one PowerFlex system, and
   * migrateVTree moves between any two pools of that system whatever their protection
   * domains, so the domain is no part of it. Two spellings of one gateway URL (case, default
   * port, trailing slash, credentials) compare equal; two names of one gateway do not, which
   * only costs a copy instead of a native move. The pool is the configured name or id, which
   * startTreeMigration resolves as it resolves its own.
   */
  migrationTarget(): MigrationTarget {
    return { cluster: gatewayIdentity(this.config.gatewayUrl), pool: this.config.storagePool };
  }

  async startTreeMigration(volumeName: string, destinationPool: string): Promise<void> {
    assertBackendName(this.manifest, volumeName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const destination = await this.resolvePool(destinationPool, undefined);
    const tree = await this.client.getVTree(volume.vtreeId, `read the VTree of ${volumeName}`);
    const info = tree.vtreeMigrationInfo;
    if ((info?.migrationStatus ?? 'NotInMigration') !== 'NotInMigration') {
      if (info?.destinationStoragePoolId === destination.id) return;
      throw new BackendError('conflict', 'powerflex.migration_in_progress', `the VTree of ${volumeName} is already migrating to another storage pool`, {
        details: { destination: info?.destinationStoragePoolId },
      });
    }
    if (tree.storagePoolId === destination.id) return;
    try {
      await this.client.volumeAction(volume.id, 'migrateVTree', { destSPId: destination.id }, `migrate the VTree of ${volumeName} to storage pool ${destination.name}`);
    } catch (error) {
      if (isBackendError(error) && (error.code === 'powerflex.already_on_destination' || error.code === 'powerflex.migration_in_progress')) {
        const after = await this.client.getVTree(volume.vtreeId, `read the VTree of ${volumeName}`);
        const target = after.vtreeMigrationInfo?.destinationStoragePoolId ?? after.storagePoolId;
        if (target === destination.id) return;
      }
      throw error;
    }
  }

  async treeMigrationStatus(volumeName: string, destinationPool: string): Promise<MigrationStatus> {
    assertBackendName(this.manifest, volumeName);
    await this.connected();
    const volume = await this.requireVolume(volumeName);
    const destination = await this.resolvePool(destinationPool, undefined);
    const tree = await this.client.getVTree(volume.vtreeId, `read the migration status of ${volumeName}`);
    const info = tree.vtreeMigrationInfo ?? {};
    const status = info.migrationStatus ?? 'NotInMigration';
    if (status === 'NotInMigration') {
      if (tree.storagePoolId === destination.id && !info.migrationPauseReason) return { state: 'done', progressPercent: 100 };
      return { state: 'failed', message: `the VTree of ${volumeName} is not migrating and is not in storage pool ${destination.name}` };
    }
    if (info.destinationStoragePoolId !== undefined && info.destinationStoragePoolId !== null && info.destinationStoragePoolId !== destination.id) {
      return { state: 'failed', message: `the VTree of ${volumeName} is migrating to another storage pool` };
    }
    if (status === 'Paused') {
      return { state: 'failed', message: `the migration of ${volumeName} is paused${info.migrationPauseReason ? `: ${info.migrationPauseReason}` : ''}` };
    }
    return {
      state: 'running',
      message: `${status}${info.migrationQueuePosition ? ` (queue position ${info.migrationQueuePosition})` : ''}`,
    };
  }

  // ---- helpers ---------------------------------------------------------------

  private async connected(): Promise<ResolvedPool> {
    if (this.pool === undefined) await this.connect();
    return this.pool as ResolvedPool;
  }

  private async resolvePool(nameOrId: string, protectionDomain: string | undefined): Promise<ResolvedPool> {
    const pools = await this.client.listStoragePools();
    let candidates = POOL_ID.test(nameOrId) ? pools.filter((p) => p.id.toLowerCase() === nameOrId.toLowerCase()) : [];
    if (candidates.length === 0) candidates = pools.filter((p) => p.name === nameOrId);
    if (protectionDomain !== undefined) {
      const domains = await this.client.listProtectionDomains();
      const domain = domains.find((d) => d.id === protectionDomain || d.name === protectionDomain);
      if (domain === undefined) {
        throw new BackendError('invalid', 'powerflex.protection_domain_not_found', `protection domain ${protectionDomain} does not exist on the PowerFlex system`, {
          details: { violations: [{ field: 'protectionDomain', rule: 'exists', message: 'no such protection domain' }] },
        });
      }
      candidates = candidates.filter((p) => p.protectionDomainId === domain.id);
    }
    if (candidates.length === 0) {
      throw new BackendError('invalid', 'powerflex.pool_not_found', `storage pool ${nameOrId} does not exist on the PowerFlex system (names are case-sensitive)`, {
        details: { violations: [{ field: 'storagePool', rule: 'exists', message: 'no such storage pool' }] },
      });
    }
    if (candidates.length > 1) {
      throw new BackendError('invalid', 'powerflex.pool_ambiguous', `storage pool name ${nameOrId} exists in several protection domains; set protectionDomain`, {
        details: { violations: [{ field: 'protectionDomain', rule: 'required', message: 'needed to tell the pools apart' }] },
      });
    }
    const pool = candidates[0] as PfStoragePool;
    const domain = await this.client.getProtectionDomain(pool.protectionDomainId);
    return { id: pool.id, name: pool.name, protectionDomainId: pool.protectionDomainId, systemId: domain.systemId };
  }

  private async requireVolume(name: string): Promise<PfVolume & { name: string }> {
    const volume = await this.client.findVolume(name);
    if (volume === undefined) {
      throw new BackendError('not_found', BackendErrorCode.VolumeNotFound, `volume ${name} not found on the PowerFlex system`, { details: { name } });
    }
    return volume as PfVolume & { name: string };
  }

  private async requireSnapshot(name: string, volumeName: string): Promise<PfVolume & { name: string }> {
    const snapshot = await this.client.findVolume(name);
    if (snapshot === undefined || snapshot.volumeType !== 'Snapshot') {
      throw new BackendError('not_found', 'snapshot.not_found', `snapshot ${name} of volume ${volumeName} not found on the PowerFlex system`, {
        details: { name, volumeName },
      });
    }
    return snapshot as PfVolume & { name: string };
  }

  private adopt(existing: PfVolume, sizeBytes: number, pool: ResolvedPool): BackendVolume {
    const name = existing.name ?? existing.id;
    if (existing.volumeType === 'Snapshot') {
      throw new BackendError('conflict', 'powerflex.name_in_use', `${name} already exists on the PowerFlex system as a snapshot`, { details: { name } });
    }
    if (existing.storagePoolId !== pool.id) {
      throw new BackendError('conflict', 'powerflex.name_in_use', `volume ${name} already exists in another storage pool of the PowerFlex system`, {
        details: { name, storagePoolId: existing.storagePoolId },
      });
    }
    const current = existing.sizeInKb * KiB;
    if (current !== sizeBytes) {
      throw new BackendError('conflict', BackendErrorCode.VolumeSizeConflict, `volume ${name} already exists with ${current} bytes, not the ${sizeBytes} requested`, {
        details: { name, existingSizeBytes: current, requestedSizeBytes: sizeBytes },
      });
    }
    return toVolume({ ...existing, name });
  }

  private adoptSnapshot(existing: PfVolume, volume: PfVolume, volumeName: string): BackendSnapshot {
    if (existing.volumeType !== 'Snapshot' || existing.ancestorVolumeId !== volume.id) {
      throw new BackendError('conflict', 'powerflex.name_in_use', `${existing.name ?? existing.id} already exists and is not a snapshot of ${volumeName}`, {
        details: { name: existing.name },
      });
    }
    return toSnapshot(existing, volumeName);
  }

  private isSnapshot(volume: PfVolume): boolean {
    if (volume.volumeType !== 'Snapshot') return false;
    const clone = volume.accessModeLimit !== 'ReadOnly' && (volume.name ?? '').startsWith(`${this.manifest.naming.volumePrefix}-`);
    return !clone;
  }

  /**
   * Unmaps every member that goes (as CloudStack's driver does before a delete: the array
   * refuses to remove a mapped volume), then removes.
   */
  private async remove(volume: PfVolume, removeMode: 'ONLY_ME' | 'WHOLE_VTREE' | 'INCLUDING_DESCENDANTS', operation: string): Promise<void> {
    const doomed = removeMode === 'ONLY_ME' ? [volume] : await this.doomedMembers(volume, removeMode, operation);
    for (const member of doomed) {
      for (const mapping of member.mappedSdcInfo ?? []) {
        try {
          await this.client.volumeAction(member.id, 'removeMappedSdc', { sdcId: mapping.sdcId }, `${operation}: unmap ${member.name ?? member.id} from SDC ${mapping.sdcId}`);
        } catch (error) {
          if (!(isBackendError(error) && error.kind === 'not_found')) throw error;
        }
      }
    }
    try {
      await this.client.volumeAction(volume.id, 'removeVolume', { removeMode }, operation);
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return;
      throw error;
    }
    this.desiredQos.delete(volume.id);
  }

  private async doomedMembers(volume: PfVolume, removeMode: 'WHOLE_VTREE' | 'INCLUDING_DESCENDANTS', operation: string): Promise<PfVolume[]> {
    const members = await this.client.vtreeVolumes(volume.vtreeId, operation);
    if (removeMode === 'WHOLE_VTREE') return members;
    const out = [volume];
    for (let i = 0; i < out.length; i += 1) {
      const parent = out[i] as PfVolume;
      out.push(...members.filter((m) => m.ancestorVolumeId === parent.id));
    }
    return out;
  }

  /** An SDC id (16 hex), an IP the SDC registered with, or the SDC's name. */
  private async resolveSdc(host: string): Promise<string> {
    if (host.trim() === '') {
      throw new BackendError('invalid', 'host.invalid', 'host must name the hypervisor host (nonEmpty)', {
        details: { violations: [{ field: 'host', rule: 'nonEmpty', message: 'host must not be empty' }] },
      });
    }
    const cached = this.sdcIds.get(host);
    if (cached !== undefined) return cached;
    let id: string | undefined;
    if (SDC_ID.test(host)) {
      id = await this.client.getSdc(host.toLowerCase()).then(
        (sdc) => sdc.id,
        (error: unknown) => {
          if (isBackendError(error) && error.kind === 'not_found') return undefined;
          throw error;
        },
      );
    } else if (isIP(host) !== 0) {
      id = await this.client.findSdcIdByIp(host);
    } else {
      id = (await this.client.listSdcs()).find((sdc) => sdc.name === host)?.id;
    }
    if (id === undefined) {
      throw new BackendError('not_found', 'powerflex.sdc_not_found', `no SDC with id, IP or name ${host} is connected to the PowerFlex system; install the SDC on the host`, {
        details: { host },
      });
    }
    this.sdcIds.set(host, id);
    return id;
  }

  private async applyLimits(volumeId: string, name: string, sdcId: string, limits: DesiredQos): Promise<void> {
    await this.client.volumeAction(
      volumeId,
      'setMappedSdcLimits',
      { sdcId, iopsLimit: String(limits.iops), bandwidthLimitInKbps: String(limits.bandwidthKbps) },
      `set QoS limits of volume ${name} on SDC ${sdcId}`,
    );
  }

  private async waitForDevice(systemId: string, volumeId: string, sdcId: string, name: string): Promise<string> {
    const file = `emc-vol-${systemId}-${volumeId}`;
    if (this.config.deviceDir === undefined) return join(HOST_DEVICE_DIR, file);
    const path = join(this.config.deviceDir.split('{sdcId}').join(sdcId), file);
    return waitFor(
      `device ${path} of volume ${name}`,
      async () => {
        try {
          await fsp.stat(path);
          return path;
        } catch {
          return undefined;
        }
      },
      this.diskWaitMs,
      50,
    );
  }
}

/**
 * The gateway URL's origin (scheme and host lower-cased, the default port dropped, no
 * credentials) and its path without trailing slashes. The path stays because the client
 * sends every call to <gatewayUrl>/api/...: two gateways behind one proxy at /a and /b are
 * two systems, and calling them one would send a migration to the wrong one.
 */
function gatewayIdentity(gatewayUrl: string): string {
  const url = new URL(gatewayUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function toVolume(volume: PfVolume & { name: string }): BackendVolume {
  return { name: volume.name, sizeBytes: volume.sizeInKb * KiB };
}

function toSnapshot(snapshot: PfVolume, volumeName: string): BackendSnapshot {
  return {
    name: snapshot.name ?? snapshot.id,
    volumeName,
    sizeBytes: snapshot.sizeInKb * KiB,
    ...(snapshot.creationTime === undefined ? {} : { createdAt: new Date(snapshot.creationTime * 1000).toISOString() }),
  };
}

/** Statistics values in KiB, numbers or numeric strings depending on the gateway version. */
function kb(stats: PfStatistics, key: string): number {
  const value = stats[key];
  const number = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(number) || number < 0) {
    throw new BackendError('terminal', 'powerflex.bad_response', `the PowerFlex gateway's statistics lack a usable ${key}`, { details: { key } });
  }
  return number;
}

/** Limits as the API wants them: iopsLimit 0 (none) or > 10; bandwidth in KB/s, 0 or whole MiB/s. */
export function validatePowerFlexQos(limits: QosLimits): { iops?: number; bandwidthKbps?: number } {
  const violations: { field: string; rule: string; message: string }[] = [];
  const out: { iops?: number; bandwidthKbps?: number } = {};
  if (limits.tier !== undefined && limits.tier !== null) {
    violations.push({ field: 'tier', rule: 'unsupported', message: 'PowerFlex has no named QoS tiers; give iops and bandwidth limits' });
  }
  if (limits.iops !== undefined) {
    const iops = limits.iops ?? 0;
    if (!Number.isSafeInteger(iops) || iops < 0 || (iops > 0 && iops <= 10)) {
      violations.push({ field: 'iops', rule: 'iopsLimit', message: 'iops must be 0 or null (unlimited) or an integer greater than 10' });
    } else {
      out.iops = iops;
    }
  }
  if (limits.bandwidthBytesPerSecond !== undefined) {
    const bytes = limits.bandwidthBytesPerSecond ?? 0;
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % BANDWIDTH_STEP_BYTES !== 0) {
      violations.push({
        field: 'bandwidthBytesPerSecond',
        rule: 'bandwidthLimitInKbps',
        message: 'bandwidth must be 0 or null (unlimited) or a whole number of MiB/s (PowerFlex takes multiples of 1024 KB/s)',
      });
    } else {
      out.bandwidthKbps = bytes / KiB;
    }
  }
  if (violations.length > 0) {
    throw new BackendError('invalid', 'powerflex.qos_invalid', `QoS limits refused: ${violations.map((v) => `${v.field}: ${v.message}`).join('; ')}`, {
      details: { violations },
    });
  }
  return out;
}

function sameLimits(mapping: { limitIops?: number; limitBwInMbps?: number }, desired: DesiredQos): boolean {
  return (mapping.limitIops ?? 0) === desired.iops && (mapping.limitBwInMbps ?? 0) * 1024 === desired.bandwidthKbps;
}

/** The limits another mapping of the volume carries: what a grant after a restart re-applies. */
function qosFromMappings(volume: PfVolume, except?: string): DesiredQos | undefined {
  const other = (volume.mappedSdcInfo ?? []).find((m) => m.sdcId !== except && ((m.limitIops ?? 0) > 0 || (m.limitBwInMbps ?? 0) > 0));
  return other === undefined ? undefined : { iops: other.limitIops ?? 0, bandwidthKbps: (other.limitBwInMbps ?? 0) * 1024 };
}
