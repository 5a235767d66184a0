import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
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
  type PluginManifest,
  type PrimaryStorageDriver,
  type QosCapable,
  type QosLimits,
  type ResizeOptions,
  type RevertCapable,
  type SnapshotCapable,
  type VolumeTree,
  type VolumeTreeMember,
} from '@strata/plugin-sdk';
import { LinstorClient, type ResourceDefinition, type ResourceWithVolumes, type Snapshot } from './linstor.client';
import { LINSTOR_DEFAULTS, LINSTOR_NAME, type CapacityMode, type CloneMode, type LinstorConfig } from './linstor.config';
import { linstorManifest } from './linstor.manifest';

const KiB = 1024;

/**
 * The host name that stands for the storage service itself (it spools templates, copies
 * and backs up volumes): its grants go to one of the data-mover hosts (the OpenNebula
 * driver's BRIDGE_LIST). '@' cannot occur in a LINSTOR node name, so it never collides.
 */
export const DATA_MOVER_HOST = '@data-mover';

/** Aux/ props the driver keeps on resource definitions (LINSTOR has no other free-form metadata). */
export const PROP = {
  cloneOf: 'Aux/strata/clone-of',
  cloneSnapshot: 'Aux/strata/clone-snapshot',
  /** Marks the short-lived restore target a copy-mode clone is copied from. */
  copySourceFor: 'Aux/strata/copy-source-for',
  tagPrefix: 'Aux/strata/tag/',
} as const;

/** VD 0 props that make the satellite set blkio throttling on the DRBD device (CloudStack does the same). */
export const QOS_PROPS = {
  readIops: 'sys/fs/blkio_throttle_read_iops',
  writeIops: 'sys/fs/blkio_throttle_write_iops',
  readBytes: 'sys/fs/blkio_throttle_read',
  writeBytes: 'sys/fs/blkio_throttle_write',
} as const;

function isDiskless(resource: ResourceWithVolumes): boolean {
  const flags = resource.flags ?? [];
  return flags.includes('DISKLESS') || flags.includes('DRBD_DISKLESS') || flags.includes('TIE_BREAKER');
}

function sizeOf(rd: ResourceDefinition): number {
  const vd = (rd.volume_definitions ?? []).find((v) => (v.volume_number ?? 0) === 0);
  return vd === undefined ? 0 : vd.size_kib * KiB;
}

/** Oldest first by the controller's creation time (name breaks ties). */
function snapshotTime(snapshot: Snapshot): number {
  const times = (snapshot.snapshots ?? []).map((s) => s.create_timestamp ?? 0);
  return times.length === 0 ? 0 : Math.min(...times);
}

/**
 * The LINSTOR driver: a pool is a resource group; a volume a resource definition (RD)
 * spawned from it with one volume definition (VD 0); replicas are placed by the
 * controller's autoplacer; hosts reach a volume through a diskless resource.
 */
export class LinstorDriver implements PrimaryStorageDriver, SnapshotCapable, RevertCapable, CloneCapable, GroupSnapshotCapable, QosCapable {
  readonly manifest: PluginManifest = linstorManifest;
  readonly client: LinstorClient;
  private readonly diskWaitMs: number;
  private readonly cloneMode: CloneMode;
  private readonly capacityMode: CapacityMode;
  private readonly cloneWaitMs: number;
  private readonly dataMoverHosts: readonly string[];

  constructor(private readonly config: LinstorConfig) {
    const tuning = clientTuning(config);
    this.client = new LinstorClient({ controllerUrl: config.controllerUrl, token: config.token, timeoutMs: tuning.timeoutMs, maxConnections: tuning.maxConnections });
    this.diskWaitMs = tuning.diskWaitMs;
    this.cloneMode = config.cloneMode ?? LINSTOR_DEFAULTS.cloneMode;
    this.capacityMode = config.capacityMode ?? LINSTOR_DEFAULTS.capacityMode;
    this.cloneWaitMs = config.cloneWaitMs ?? LINSTOR_DEFAULTS.cloneWaitMs;
    this.dataMoverHosts = config.dataMoverHosts ?? [];
  }

  // ---- core ---------------------------------------------------------------

  /** Reaches the controller, and checks that the resource group and the data-mover hosts exist. */
  async connect(): Promise<void> {
    await this.client.version();
    await this.resourceGroup();
    if (this.dataMoverHosts.length > 0) {
      const known = new Set((await this.client.nodes(this.dataMoverHosts)).map((node) => node.name.toUpperCase()));
      const missing = this.dataMoverHosts.filter((host) => !known.has(host.toUpperCase()));
      if (missing.length > 0) {
        throw new BackendError('invalid', BackendErrorCode.ConfigInvalid, `linstor config is invalid: data-mover hosts ${missing.join(', ')} are not LINSTOR nodes`, {
          details: { violations: [{ field: 'dataMoverHosts', rule: 'isLinstorNode', message: `not LINSTOR nodes: ${missing.join(', ')}` }] },
        });
      }
    }
  }

  /**
   * The resource group's storage pools (DISKLESS ones skipped), reduced by the capacity
   * mode: 'least-free' reports the pool with the least free space (a volume needs room on
   * every replica's node, so that pool bounds what fits); 'average' averages the pools.
   */
  async getCapacity(): Promise<BackendCapacity> {
    const rg = await this.resourceGroup();
    const poolNames = rg.select_filter?.storage_pool_list ?? (rg.select_filter?.storage_pool !== undefined ? [rg.select_filter.storage_pool] : undefined);
    const pools = (await this.client.storagePools(poolNames)).filter(
      (pool) => pool.provider_kind !== 'DISKLESS' && (poolNames === undefined || poolNames.includes(pool.storage_pool_name)),
    );
    if (pools.length === 0) {
      throw new BackendError('terminal', 'linstor.no_storage_pools', `resource group ${this.config.resourceGroup} has no diskful storage pools to report capacity from`);
    }
    const sized = pools.map((pool) => ({ total: (pool.total_capacity ?? 0) * KiB, free: (pool.free_capacity ?? 0) * KiB }));
    let total: number;
    let free: number;
    if (this.capacityMode === 'least-free') {
      const least = sized.reduce((a, b) => (b.free < a.free ? b : a));
      total = least.total;
      free = least.free;
    } else {
      // Averages rounded down to whole KiB, so that they stay exact integers.
      total = Math.floor(sized.reduce((sum, p) => sum + p.total, 0) / sized.length / KiB) * KiB;
      free = Math.floor(sized.reduce((sum, p) => sum + p.free, 0) / sized.length / KiB) * KiB;
    }
    free = Math.min(free, total);
    return { totalBytes: total, usedBytes: total - free, freeBytes: free };
  }

  async createVolume(request: CreateVolumeRequest): Promise<BackendVolume> {
    this.assertName(request.name);
    assertVolumeSize(this.manifest, request.sizeBytes);
    const sizeKib = request.sizeBytes / KiB;
    let rd = await this.client.resourceDefinition(request.name);
    if (rd === undefined) {
      try {
        await this.client.spawn(this.config.resourceGroup, {
          resource_definition_name: request.name,
          volume_sizes: [sizeKib],
          ...(this.config.placeCount !== undefined ? { select_filter: { place_count: this.config.placeCount } } : {}),
        });
      } catch (error) {
        // The controller keeps the definition when autoplace fails; remove it so the name is
        // free and no empty volume lingers, then let the caller place the volume elsewhere.
        if (isBackendError(error) && error.kind === 'capacity') await this.client.deleteResourceDefinition(request.name).catch(() => undefined);
        throw error;
      }
      rd = await this.requireVolume(request.name, 'create volume');
    } else {
      this.checkOwnGroup(rd, 'create volume');
      if ((rd.flags ?? []).includes('DELETE')) {
        // The controller answers a delete before the satellites are done; the name frees up soon.
        throw new BackendError('transient', 'linstor.deleting', `create volume ${request.name}: a volume of that name is still being deleted`);
      }
      if ((rd.volume_definitions ?? []).length === 0) {
        // Spawn makes the RD and its VD together, so this is not a crashed create (a clone being restored?).
        throw new BackendError('conflict', 'linstor.no_volume_definition', `create volume ${request.name}: the name is taken by a resource definition without volumes`);
      }
      const existing = sizeOf(rd);
      if (existing !== request.sizeBytes) {
        throw new BackendError('conflict', BackendErrorCode.VolumeSizeConflict, `create volume ${request.name}: it exists with ${existing} bytes, not ${request.sizeBytes}`, {
          details: { existingSizeBytes: existing, requestedSizeBytes: request.sizeBytes },
        });
      }
      await this.finishPlacement(rd);
    }
    return { name: rd.name, sizeBytes: sizeOf(rd) };
  }

  async deleteVolume(name: string): Promise<void> {
    this.assertName(name);
    try {
      await this.client.deleteResourceDefinition(name);
    } catch (error) {
      if (isBackendError(error) && error.code === 'linstor.has_snapshots') {
        const snapshots = await this.client.snapshots(name).catch(() => []);
        throw new BackendError('conflict', 'linstor.has_snapshots', `delete volume ${name}: it still has snapshots ${snapshots.map((s) => s.name).join(', ') || '(unknown)'}; delete them first, or delete the volume tree`, {
          cause: error,
          details: { snapshots: snapshots.map((s) => s.name) },
        });
      }
      throw error;
    }
  }

  async resizeVolume(name: string, sizeBytes: number, options: ResizeOptions): Promise<BackendVolume> {
    this.assertName(name);
    assertVolumeSize(this.manifest, sizeBytes);
    const rd = await this.requireVolume(name, 'resize volume');
    const current = sizeOf(rd);
    if (current === sizeBytes) return { name: rd.name, sizeBytes };
    if (sizeBytes < current) {
      if (!options.allowShrink) {
        throw new BackendError('invalid', BackendErrorCode.ShrinkNotAllowed, `resize volume ${name}: ${sizeBytes} bytes is smaller than its ${current} bytes and shrinking was not asked for`);
      }
      throw new BackendError('invalid', BackendErrorCode.UnsupportedOperation, `resize volume ${name}: LINSTOR cannot shrink a DRBD volume (manifest resizeShrink is false)`);
    }
    await this.client.modifyVolumeDefinition(name, 0, { size_kib: sizeBytes / KiB }, `resize volume ${name} to ${sizeBytes} bytes`);
    return { name: rd.name, sizeBytes };
  }

  /**
   * make-available with diskful false: a diskless resource on the host's node (nothing
   * changes where the node already holds a replica). The device path is the one the
   * controller reports for that node's volume 0 (/dev/drbd/by-res/<rd>/0 on real nodes).
   * With diskWaitMs > 0 the grant also waits for the device to appear on this machine (the
   * storage service's own host, a data mover); with 0 it trusts the controller's report,
   * since a hypervisor's device cannot be seen from here.
   */
  async grantAccess(name: string, host: string): Promise<AccessGrant> {
    this.assertName(name);
    await this.requireVolume(name, `grant ${host} access to volume`);
    const node = host === DATA_MOVER_HOST ? await this.pickDataMover(name) : host;
    await this.client.makeAvailable(name, node);
    const devicePath = await waitFor(
      `device of volume ${name} on node ${node}`,
      async () => {
        const [resource] = await this.client.viewResources([name], [node]);
        const path = resource?.volumes?.find((v) => (v.volume_number ?? 0) === 0)?.device_path;
        if (path === undefined || path === '') return undefined;
        if (this.diskWaitMs === 0) return path;
        return (await stat(path).then(() => true).catch(() => false)) ? path : undefined;
      },
      this.diskWaitMs,
    );
    return { devicePath };
  }

  /** Deletes the host's resource only when it is diskless: a diskful replica is never dropped by a detach. */
  async revokeAccess(name: string, host: string): Promise<void> {
    this.assertName(name);
    const nodes = host === DATA_MOVER_HOST ? this.dataMoverHosts : [host];
    if (nodes.length === 0) return;
    const resources = await this.client.viewResources([name], nodes);
    for (const resource of resources) {
      if (!isDiskless(resource) || (resource.flags ?? []).includes('TIE_BREAKER')) continue;
      await this.client.deleteResource(name, resource.node_name);
    }
  }

  /** Every resource definition of the resource group (restore targets of copy-mode clones and RDs being deleted excluded). */
  async listVolumes(): Promise<BackendVolume[]> {
    const key = this.config.resourceGroup.toUpperCase();
    return (await this.client.resourceDefinitions())
      .filter((rd) => (rd.resource_group_name ?? '').toUpperCase() === key && rd.props?.[PROP.copySourceFor] === undefined && !(rd.flags ?? []).includes('DELETE'))
      .map((rd) => ({ name: rd.name, sizeBytes: sizeOf(rd) }));
  }

  async close(): Promise<void> {
    // Node's fetch keeps no per-driver state that needs closing.
  }

  // ---- volume trees ---------------------------------------------------------

  /** The volume, its snapshots and the clones made from them (found by their clone-of prop), from the root down. */
  async getVolumeTree(volumeName: string): Promise<VolumeTree> {
    this.assertName(volumeName);
    const all = await this.client.resourceDefinitions();
    const byName = new Map(all.map((rd) => [rd.name.toUpperCase(), rd]));
    let root = byName.get(volumeName.toUpperCase());
    if (root === undefined) throw this.notFound(volumeName, 'read the volume tree of');
    for (let parent = root.props?.[PROP.cloneOf]; parent !== undefined; parent = root.props?.[PROP.cloneOf]) {
      const next = byName.get(parent.toUpperCase());
      if (next === undefined) break;
      root = next;
    }
    const members: VolumeTreeMember[] = [];
    let usedBytes = 0;
    let snapshotCount = 0;
    const visit = async (rd: ResourceDefinition, parent: string | null, kind: 'volume' | 'clone'): Promise<void> => {
      const replicas = (await this.client.viewResources([rd.name])).filter((r) => !isDiskless(r));
      const allocated = replicas.reduce((sum, r) => sum + (r.volumes ?? []).reduce((s, v) => s + (v.allocated_size_kib ?? 0), 0) * KiB, 0);
      usedBytes += allocated;
      members.push({ name: rd.name, kind, parent, sizeBytes: sizeOf(rd), allocatedBytes: allocated });
      for (const snapshot of (await this.client.snapshots(rd.name)).sort((a, b) => snapshotTime(a) - snapshotTime(b))) {
        snapshotCount += 1;
        members.push({ name: snapshot.name, kind: 'snapshot', parent: rd.name, sizeBytes: (snapshot.volume_definitions?.[0]?.size_kib ?? 0) * KiB });
      }
      for (const child of all.filter((c) => c.props?.[PROP.cloneOf]?.toUpperCase() === rd.name.toUpperCase())) {
        await visit(child, child.props?.[PROP.cloneSnapshot] ?? rd.name, 'clone');
      }
    };
    await visit(root, null, 'volume');
    return { root: root.name, members, usedBytes, snapshotCount, snapshotLimit: this.manifest.limits.snapshotsPerVolumeTree };
  }

  /**
   * Clones first (depth first), then each volume's snapshots, then the volume itself. Checked
   * for replicas in use before anything goes: the controller would refuse only the last
   * step, after the snapshots were already deleted.
   */
  async deleteVolumeTree(volumeName: string): Promise<void> {
    this.assertName(volumeName);
    const all = await this.client.resourceDefinitions();
    const order: string[] = [];
    const collect = (name: string): void => {
      for (const child of all.filter((c) => c.props?.[PROP.cloneOf]?.toUpperCase() === name.toUpperCase())) collect(child.name);
      order.push(name);
    };
    collect(volumeName);
    const existing = order.filter((name) => all.some((rd) => rd.name.toUpperCase() === name.toUpperCase()));
    if (existing.length === 0) return;
    const busy = (await this.client.viewResources(existing)).find((r) => r.state?.in_use === true);
    if (busy !== undefined) {
      throw new BackendError('conflict', 'linstor.in_use', `delete the volume tree of ${volumeName}: ${busy.name} is in use on node ${busy.node_name}; nothing was deleted`);
    }
    for (const name of existing) {
      for (const snapshot of await this.client.snapshots(name)) await this.deleteSnapshot(name, snapshot.name);
      await this.client.deleteResourceDefinition(name);
    }
  }

  // ---- snapshots -------------------------------------------------------------

  async createSnapshot(volumeName: string, snapshotName: string): Promise<BackendSnapshot> {
    this.assertName(volumeName);
    this.assertName(snapshotName);
    let snapshot = await this.findSnapshot(volumeName, snapshotName);
    if (snapshot === undefined) {
      await this.client.createSnapshot(volumeName, snapshotName);
      snapshot = await this.findSnapshot(volumeName, snapshotName);
      if (snapshot === undefined) throw new BackendError('transient', 'linstor.snapshot_missing', `snapshot ${snapshotName} of ${volumeName} was created but is not listed yet`);
    }
    return this.toBackendSnapshot(volumeName, snapshot);
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    this.assertName(volumeName);
    this.assertName(snapshotName);
    try {
      await this.client.deleteSnapshot(volumeName, snapshotName);
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return;
      throw error;
    }
  }

  async listSnapshots(volumeName: string): Promise<BackendSnapshot[]> {
    this.assertName(volumeName);
    const snapshots = await this.client.snapshots(volumeName);
    return snapshots
      .sort((a, b) => snapshotTime(a) - snapshotTime(b) || a.name.localeCompare(b.name))
      .map((snapshot) => this.toBackendSnapshot(volumeName, snapshot));
  }

  /**
   * snapshot-rollback, only to the newest snapshot (manifest revert 'latest'): ZFS refuses
   * older ones while newer exist, so the driver refuses them up front on every provider.
   */
  async revertToSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    const snapshots = await this.listSnapshots(volumeName);
    const target = snapshots.find((s) => s.name.toUpperCase() === snapshotName.toUpperCase());
    if (target === undefined) {
      throw new BackendError('not_found', 'linstor.snapshot_not_found', `revert volume ${volumeName}: it has no snapshot ${snapshotName}`);
    }
    const latest = snapshots[snapshots.length - 1];
    if (latest.name !== target.name) {
      throw new BackendError('invalid', 'linstor.revert_not_latest', `revert volume ${volumeName} to ${snapshotName}: LINSTOR rolls back only to the newest snapshot (${latest.name}); delete the newer snapshots first`, {
        details: { latest: latest.name },
      });
    }
    await this.client.rollback(volumeName, target.name);
  }

  async createGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<BackendSnapshot[]> {
    for (const member of members) {
      this.assertName(member.volumeName);
      this.assertName(member.snapshotName);
    }
    if (members.length === 0) throw new BackendError('invalid', 'linstor.empty_group', `group snapshot ${groupName}: no members`);
    const existing = await Promise.all(members.map((m) => this.findSnapshot(m.volumeName, m.snapshotName)));
    if (existing.some((s) => s === undefined)) {
      // A partial set is not one point in time: take the whole group again.
      for (const [index, member] of members.entries()) if (existing[index] !== undefined) await this.deleteSnapshot(member.volumeName, member.snapshotName);
      await this.client.multiSnapshot(members.map((m) => ({ name: m.snapshotName, resource_name: m.volumeName })));
    }
    const result: BackendSnapshot[] = [];
    for (const member of members) {
      const snapshot = await this.findSnapshot(member.volumeName, member.snapshotName);
      if (snapshot === undefined) throw new BackendError('transient', 'linstor.snapshot_missing', `group snapshot ${groupName}: ${member.snapshotName} of ${member.volumeName} is not listed yet`);
      result.push(this.toBackendSnapshot(member.volumeName, snapshot));
    }
    return result;
  }

  async deleteGroupSnapshot(_groupName: string, members: readonly GroupSnapshotMember[]): Promise<void> {
    for (const member of members) await this.deleteSnapshot(member.volumeName, member.snapshotName);
  }

  // ---- clones ----------------------------------------------------------------

  /**
   * cloneMode 'snapshot': an RD in the group, then snapshot-restore of the volume
   * definitions and of the resources (on the snapshot's nodes). cloneMode 'copy': the
   * snapshot restored into a short-lived RD, which LINSTOR's clone copies into an
   * independent RD (polled until COMPLETE), then the short-lived RD goes. Both tag the
   * clone with its origin (Aux/strata/clone-of) so that volume trees find it.
   */
  async cloneFromSnapshot(request: CloneRequest): Promise<BackendVolume> {
    this.assertName(request.name);
    this.assertName(request.sourceVolumeName);
    this.assertName(request.snapshotName);
    const snapshot = await this.findSnapshot(request.sourceVolumeName, request.snapshotName);
    const snapshotBytes = (snapshot?.volume_definitions?.[0]?.size_kib ?? 0) * KiB;
    const sizeBytes = request.sizeBytes ?? snapshotBytes;
    if (request.sizeBytes !== undefined) assertVolumeSize(this.manifest, request.sizeBytes);
    const props = { [PROP.cloneOf]: request.sourceVolumeName, [PROP.cloneSnapshot]: request.snapshotName };

    let rd = await this.client.resourceDefinition(request.name);
    if (rd !== undefined) this.checkOwnGroup(rd, 'clone volume');
    if (snapshot === undefined && !(rd !== undefined && (rd.volume_definitions ?? []).length > 0 && rd.props?.[PROP.copySourceFor] === undefined)) {
      throw new BackendError('not_found', 'linstor.snapshot_not_found', `clone ${request.name}: volume ${request.sourceVolumeName} has no snapshot ${request.snapshotName}`);
    }
    if (snapshot !== undefined && sizeBytes < snapshotBytes) {
      throw new BackendError('invalid', BackendErrorCode.SizeInvalid, `clone ${request.name}: ${sizeBytes} bytes is smaller than snapshot ${request.snapshotName} (${snapshotBytes} bytes)`);
    }

    if (this.cloneMode === 'snapshot') {
      if (rd === undefined) {
        await this.client.createResourceDefinition(request.name, this.config.resourceGroup, props);
        rd = await this.requireVolume(request.name, 'clone volume');
      }
      if ((rd.volume_definitions ?? []).length === 0) {
        await this.client.restoreVolumeDefinitions(request.sourceVolumeName, request.snapshotName, request.name);
      }
      if ((await this.client.viewResources([request.name])).length === 0) {
        await this.client.restoreResources(request.sourceVolumeName, request.snapshotName, request.name);
      }
    } else {
      await this.copyClone(request, props);
    }
    rd = await this.requireVolume(request.name, 'clone volume');
    if (sizeOf(rd) < sizeBytes) {
      await this.client.modifyVolumeDefinition(request.name, 0, { size_kib: sizeBytes / KiB }, `grow clone ${request.name} to ${sizeBytes} bytes`);
    }
    return { name: rd.name, sizeBytes: Math.max(sizeOf(rd), sizeBytes) };
  }

  private async copyClone(request: CloneRequest, props: Record<string, string>): Promise<void> {
    const source = `cpy-${createHash('sha256').update(request.name).digest('hex').slice(0, 40)}`;
    let target = await this.client.resourceDefinition(request.name);
    if (target === undefined) {
      if ((await this.client.resourceDefinition(source)) === undefined) {
        await this.client.createResourceDefinition(source, this.config.resourceGroup, { [PROP.copySourceFor]: request.name });
      }
      const restored = await this.client.resourceDefinition(source);
      if ((restored?.volume_definitions ?? []).length === 0) await this.client.restoreVolumeDefinitions(request.sourceVolumeName, request.snapshotName, source);
      if ((await this.client.viewResources([source])).length === 0) await this.client.restoreResources(request.sourceVolumeName, request.snapshotName, source);
      // The clone inherits the restore target's props: drop its marker, add the origin.
      await this.client.clone(source, { name: request.name, resource_group: this.config.resourceGroup, override_props: props, delete_props: [PROP.copySourceFor] });
      target = await this.client.resourceDefinition(request.name);
    }
    if ((await this.client.resourceDefinition(source)) !== undefined) {
      const status = await waitFor(
        `copy of ${request.name}`,
        async () => {
          const current = await this.client.cloneStatus(source, request.name);
          return current === 'CLONING' ? undefined : current;
        },
        this.cloneWaitMs,
        100,
      );
      if (status === 'FAILED') {
        throw new BackendError('terminal', 'linstor.clone_failed', `clone ${request.name}: LINSTOR reported the copy FAILED; delete ${request.name} and retry`);
      }
      await this.client.deleteResourceDefinition(source);
    }
  }

  // ---- QoS and tags ------------------------------------------------------------

  /** Both directions of each limit, as CloudStack sets them; null removes a limit. */
  async setQos(volumeName: string, limits: QosLimits): Promise<void> {
    this.assertName(volumeName);
    if (limits.tier !== undefined && limits.tier !== null) {
      throw new BackendError('invalid', BackendErrorCode.UnsupportedOperation, `set QoS of ${volumeName}: LINSTOR has no QoS tiers (manifest qosTiers is false)`);
    }
    const set: Record<string, string> = {};
    const remove: string[] = [];
    const apply = (value: number | null | undefined, keys: readonly string[], what: string): void => {
      if (value === undefined) return;
      if (value === null) {
        remove.push(...keys);
        return;
      }
      if (!Number.isSafeInteger(value) || value <= 0) throw new BackendError('invalid', 'linstor.qos_invalid', `set QoS of ${volumeName}: ${what} must be a positive integer`);
      for (const key of keys) set[key] = String(value);
    };
    apply(limits.iops, [QOS_PROPS.readIops, QOS_PROPS.writeIops], 'iops');
    apply(limits.bandwidthBytesPerSecond, [QOS_PROPS.readBytes, QOS_PROPS.writeBytes], 'bandwidthBytesPerSecond');
    await this.client.modifyVolumeDefinition(volumeName, 0, { override_props: set, delete_props: remove }, `set QoS of volume ${volumeName}`);
  }

  /** Tags as Aux/ props on the RD (there is no other place for free-form metadata); null removes one. */
  async setTags(volumeName: string, tags: Readonly<Record<string, string | null>>): Promise<void> {
    this.assertName(volumeName);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const [key, value] of Object.entries(tags)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new BackendError('invalid', 'linstor.tag_invalid', `tag key '${key}' must be 1-64 letters, digits, '_', '.' or '-'`);
      if (value === null) remove.push(`${PROP.tagPrefix}${key}`);
      else set[`${PROP.tagPrefix}${key}`] = value;
    }
    await this.client.modifyResourceDefinition(volumeName, { override_props: set, delete_props: remove });
  }

  async getTags(volumeName: string): Promise<Record<string, string>> {
    const rd = await this.requireVolume(volumeName, 'read tags of volume');
    return Object.fromEntries(
      Object.entries(rd.props ?? {})
        .filter(([key]) => key.startsWith(PROP.tagPrefix))
        .map(([key, value]) => [key.slice(PROP.tagPrefix.length), value]),
    );
  }

  /** The node a grant for DATA_MOVER_HOST goes to: one already holding the volume, else one chosen by the name's hash. */
  async pickDataMover(name: string): Promise<string> {
    if (this.dataMoverHosts.length === 0) {
      throw new BackendError('invalid', 'linstor.no_data_mover', `grant the storage service access to ${name}: no dataMoverHosts are configured for this pool`);
    }
    const resources = await this.client.viewResources([name], this.dataMoverHosts);
    const holder = [...resources].sort((a, b) => Number(isDiskless(a)) - Number(isDiskless(b)))[0];
    if (holder !== undefined) return this.dataMoverHosts.find((host) => host.toUpperCase() === holder.node_name.toUpperCase()) ?? holder.node_name;
    const hash = createHash('sha256').update(name).digest().readUInt32BE(0);
    return this.dataMoverHosts[hash % this.dataMoverHosts.length];
  }

  // ---- helpers -------------------------------------------------------------------

  /** The SDK's shape rules plus LINSTOR's: 2-48 characters, a letter or '_' first, [A-Za-z0-9_-]. */
  private assertName(name: string): void {
    assertBackendName(this.manifest, name);
    if (!LINSTOR_NAME.test(name) || !/[A-Za-z]/.test(name)) {
      throw new BackendError('invalid', BackendErrorCode.NameInvalid, `name '${name}' is not a LINSTOR name: 2-48 characters, a letter or '_' first, then letters, digits, '_' or '-' (linstorName)`, {
        details: { violations: [{ field: 'name', rule: 'linstorName', message: 'not a LINSTOR name' }] },
      });
    }
  }

  private async resourceGroup(): Promise<{ name: string; select_filter?: { storage_pool?: string; storage_pool_list?: string[]; place_count?: number } }> {
    const key = this.config.resourceGroup.toUpperCase();
    const rg = (await this.client.resourceGroups([this.config.resourceGroup])).find((g) => g.name.toUpperCase() === key);
    if (rg === undefined) {
      throw new BackendError('invalid', BackendErrorCode.ConfigInvalid, `linstor config is invalid: resource group ${this.config.resourceGroup} does not exist on the controller`, {
        details: { violations: [{ field: 'resourceGroup', rule: 'exists', message: 'no such resource group' }] },
      });
    }
    return rg;
  }

  private async requireVolume(name: string, what: string): Promise<ResourceDefinition> {
    const rd = await this.client.resourceDefinition(name);
    if (rd === undefined) throw this.notFound(name, what);
    return rd;
  }

  private notFound(name: string, what: string): BackendError {
    return new BackendError('not_found', BackendErrorCode.VolumeNotFound, `${what} ${name}: no such resource definition`);
  }

  private checkOwnGroup(rd: ResourceDefinition, what: string): void {
    if ((rd.resource_group_name ?? '').toUpperCase() !== this.config.resourceGroup.toUpperCase()) {
      throw new BackendError('conflict', 'linstor.other_resource_group', `${what} ${rd.name}: the name is taken by a resource definition of resource group ${rd.resource_group_name ?? '(none)'}`);
    }
  }

  /** A crashed create may have left the RD without its replicas: place them now. */
  private async finishPlacement(rd: ResourceDefinition): Promise<void> {
    const diskful = (await this.client.viewResources([rd.name])).filter((r) => !isDiskless(r));
    if (diskful.length > 0) return;
    try {
      await this.client.autoplace(rd.name, this.config.placeCount !== undefined ? { place_count: this.config.placeCount } : {});
    } catch (error) {
      if (isBackendError(error) && error.kind === 'capacity') await this.client.deleteResourceDefinition(rd.name).catch(() => undefined);
      throw error;
    }
  }

  private async findSnapshot(volumeName: string, snapshotName: string): Promise<Snapshot | undefined> {
    const key = snapshotName.toUpperCase();
    return (await this.client.snapshots(volumeName)).find((s) => s.name.toUpperCase() === key);
  }

  private toBackendSnapshot(volumeName: string, snapshot: Snapshot): BackendSnapshot {
    const time = snapshotTime(snapshot);
    return {
      name: snapshot.name,
      volumeName,
      sizeBytes: (snapshot.volume_definitions?.find((v) => (v.volume_number ?? 0) === 0)?.size_kib ?? 0) * KiB,
      ...(time > 0 ? { createdAt: new Date(time).toISOString() } : {}),
    };
  }
}

