import { stat } from 'node:fs/promises';
import {
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
  type DriverContext,
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
import { StorPoolClient } from './storpool.client';
import { MAX_CLIENT_ID, STORPOOL_DEFAULTS, TAG_KEY, TAG_VALUE, TEMPLATE_NAME, type StorPoolConfig } from './storpool.config';
import { toStorPoolError, type CallContext } from './storpool.errors';
import { STORPOOL_MAX_NAME_LENGTH, storpoolManifest } from './storpool.manifest';
import type {
  AttachmentDesc,
  GroupSnapshotResult,
  ReassignDesc,
  SnapshotSummary,
  SpaceEntry,
  Tags,
  TemplateDesc,
  TemplateStatus,
  VolumeCreateResult,
  VolumeSummary,
} from './storpool.types';

/** Tag that marks our volumes and snapshots; its value is the installation id (CloudStack uses 'cs'). */
export const MARKER_TAG = 'strata';
/** Tag naming the VM snapshot a group-snapshot member belongs to. */
export const GROUP_TAG = 'strata-group';
export const VC_POLICY_TAG = 'vc-policy';

const VOLUME_NAME = /^#?[A-Za-z0-9_\-.:]+$/;
const SNAPSHOT_NAME = /^\*?[A-Za-z0-9_\-.:@]+$/;
const RESERVED_NAMES = new Set(['list', 'status']);

export interface StorPoolDriverHooks {
  /** Replaces the retry backoff's sleep (tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Everything the cluster lists, fetched once for a tree computation. */
interface Inventory {
  readonly volumes: readonly VolumeSummary[];
  readonly snapshots: readonly SnapshotSummary[];
  readonly snapshotByName: ReadonlyMap<string, SnapshotSummary>;
  readonly stored: ReadonlyMap<string, number>;
}

/** One volume tree as StorPool lists it: the volumes (root first) and snapshots that belong to it. */
interface LoadedTree {
  readonly root: VolumeSummary;
  readonly volumes: readonly VolumeSummary[];
  readonly snapshots: readonly SnapshotSummary[];
  readonly members: readonly VolumeTreeMember[];
  readonly usedBytes: number;
}

/**
 * Primary storage on one StorPool template. Every call is a StorPool API
 * query; see StorPoolClient for transport, auth and retries, and
 * toStorPoolError for how vendor errors map into the taxonomy.
 */
export class StorPoolDriver
  implements PrimaryStorageDriver, SnapshotCapable, RevertCapable, CloneCapable, GroupSnapshotCapable, QosCapable, NativeMigrationCapable
{
  readonly manifest = storpoolManifest;
  private readonly client: StorPoolClient;
  private readonly template: string;
  /** The API endpoint as migrationTarget names the cluster. */
  private readonly cluster: string;
  private readonly installationId: string;
  private readonly diskWaitMs: number;
  private readonly devicePath: string;
  private readonly qosTierTagKey: string;
  private readonly defaultQosTier: string | undefined;
  private readonly vcPolicy: string | undefined;
  private readonly clients: Readonly<Record<string, number>>;

  constructor(config: StorPoolConfig, context: DriverContext, hooks: StorPoolDriverHooks = {}) {
    const tuning = clientTuning(config);
    this.client = new StorPoolClient({
      host: config.host,
      port: config.port ?? STORPOOL_DEFAULTS.port,
      authToken: config.authToken,
      timeoutMs: tuning.timeoutMs,
      maxConnections: tuning.maxConnections,
      multiCluster: config.multiCluster ?? false,
      transientRetries: config.transientRetries ?? STORPOOL_DEFAULTS.transientRetries,
      transientRetryBaseMs: config.transientRetryBaseMs ?? STORPOOL_DEFAULTS.transientRetryBaseMs,
      sleep: hooks.sleep,
    });
    this.template = config.template;
    this.cluster = apiIdentity(config.host, config.port ?? STORPOOL_DEFAULTS.port);
    this.installationId = context.installationId;
    this.diskWaitMs = tuning.diskWaitMs;
    this.devicePath = config.devicePath ?? STORPOOL_DEFAULTS.devicePath;
    this.qosTierTagKey = config.qosTierTagKey ?? STORPOOL_DEFAULTS.qosTierTagKey;
    this.defaultQosTier = config.defaultQosTier;
    this.vcPolicy = config.vcPolicy;
    this.clients = config.clients ?? {};
  }

  /** Proves the token and that the pool's template exists. */
  async connect(): Promise<void> {
    await this.api({ operation: 'describe template', object: this.template, notFound: templateMissing() }, (c) =>
      c.get<TemplateDesc>('VolumeTemplateDescribe', this.template),
    );
  }

  /**
   * The template's `stored` estimate: client-data capacity and free space after
   * replication, which is what volumes can really hold. Used is capacity - free,
   * as CloudStack's StorPoolStatsCollector computes it: StorPool volumes are
   * thin, so the sum of volume sizes says nothing about the space they take.
   */
  async getCapacity(): Promise<BackendCapacity> {
    const templates = await this.api({ operation: 'read capacity of template', object: this.template }, (c) =>
      c.get<TemplateStatus[]>('VolumeTemplatesStatus'),
    );
    const status = templates.find((t) => t.name === this.template);
    if (status === undefined) {
      throw new BackendError('invalid', 'storpool.template_not_found', `template ${this.template} is not in VolumeTemplatesStatus of the StorPool cluster`, {
        details: { template: this.template },
      });
    }
    const totalBytes = Math.max(0, Math.floor(status.stored.capacity));
    const freeBytes = Math.min(totalBytes, Math.max(0, Math.floor(status.stored.free)));
    return { totalBytes, usedBytes: totalBytes - freeBytes, freeBytes };
  }

  async createVolume(request: CreateVolumeRequest): Promise<BackendVolume> {
    const { name, sizeBytes } = request;
    assertVolumeName(name);
    assertVolumeSize(this.manifest, sizeBytes);
    if (request.thin === false) {
      const message = 'StorPool volumes are always thin; thick provisioning is not supported';
      throw new BackendError('invalid', BackendErrorCode.UnsupportedOperation, `cannot create ${name}: ${message}`, {
        details: { violations: [{ field: 'thin', rule: 'thinProvisioningOnly', message }] },
      });
    }
    return this.createOrAdopt(name, sizeBytes, { size: sizeBytes }, `create volume`);
  }

  /**
   * VolumeDelete, detaching the volume from clients that do not hold it open.
   * StorPool itself would keep the volume's snapshots alive after it; the SDK's
   * rule is to refuse, so that no snapshot is orphaned silently: delete them
   * first, or use deleteVolumeTree.
   */
  async deleteVolume(name: string): Promise<void> {
    assertVolumeName(name);
    const snapshots = (await this.snapshotsList()).filter((s) => s.onVolume === name && s.deleted !== true && s.transient !== true);
    if (snapshots.length > 0) {
      const names = snapshots.map((s) => s.name);
      throw new BackendError(
        'conflict',
        'storpool.volume_has_snapshots',
        `cannot delete volume ${name}: it still has ${names.length} snapshot(s) (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}); delete them first or delete the whole tree`,
        { details: { name, snapshots: names } },
      );
    }
    await this.ignoreMissing(
      // 'detach', not CloudStack's 'detachForce': StorPool still refuses while a guest has the volume open.
      this.api({ operation: 'delete volume', object: name }, (c) => c.post('VolumeDelete', name, { onAttached: 'detach' })),
    );
  }

  async resizeVolume(name: string, sizeBytes: number, options: ResizeOptions): Promise<BackendVolume> {
    assertVolumeName(name);
    assertVolumeSize(this.manifest, sizeBytes);
    const current = await this.getVolume(name, 'resize volume');
    if (current.size === sizeBytes) return this.toVolume(current);
    const shrink = sizeBytes < current.size;
    if (shrink && !options.allowShrink) {
      const message = `shrinking ${name} from ${current.size} to ${sizeBytes} bytes destroys the data past the new end`;
      throw new BackendError('invalid', BackendErrorCode.ShrinkNotAllowed, `${message}; pass allowShrink to do it`, {
        details: { violations: [{ field: 'sizeBytes', rule: 'allowShrink', message }] },
      });
    }
    await this.api({ operation: 'resize volume', object: name, notFound: volumeMissing() }, (c) =>
      c.post('VolumeUpdate', name, shrink ? { size: sizeBytes, shrinkOk: true } : { size: sizeBytes }),
    );
    return { name, sizeBytes };
  }

  /** VolumesReassign rw to the host's StorPool client, then waits for /dev/storpool/<name> to appear there. */
  async grantAccess(name: string, host: string): Promise<AccessGrant> {
    assertVolumeName(name);
    const clientId = this.clientIdOf(host);
    const reassign: ReassignDesc[] = [{ volume: name, rw: [clientId] }];
    await this.api({ operation: `attach volume to client ${clientId}: volume`, object: name, notFound: volumeMissing() }, (c) =>
      c.post('VolumesReassign', undefined, reassign),
    );
    const devicePath = this.devicePathOf(name, clientId);
    if (this.diskWaitMs > 0) {
      await waitFor(
        `StorPool device ${devicePath} of volume ${name} on client ${clientId}`,
        async () => ((await exists(devicePath)) ? devicePath : undefined),
        this.diskWaitMs,
        50,
      );
    }
    return { devicePath };
  }

  /**
   * VolumesReassign detach. Not forced: StorPool refuses to detach a volume a
   * guest still has open, which is the answer a caller needs then.
   */
  async revokeAccess(name: string, host: string): Promise<void> {
    assertVolumeName(name);
    const clientId = this.clientIdOf(host);
    const reassign: ReassignDesc[] = [{ volume: name, detach: [clientId] }];
    await this.ignoreMissing(
      this.api({ operation: `detach volume from client ${clientId}: volume`, object: name }, (c) => c.post('VolumesReassign', undefined, reassign)),
    );
  }

  /** Volumes of this pool's template that carry our marker: other tenants of the cluster are not ours to reconcile. */
  async listVolumes(): Promise<BackendVolume[]> {
    const [volumes, space] = await Promise.all([this.volumesList(), this.volumesSpace()]);
    const stored = new Map(space.map((entry) => [entry.name, entry.storedSize]));
    return volumes
      .filter((v) => v.templateName === this.template && v.tags?.[MARKER_TAG] === this.installationId)
      .map((v) => this.toVolume(v, stored.get(v.name)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getVolumeTree(volumeName: string): Promise<VolumeTree> {
    assertVolumeName(volumeName);
    const inventory = await this.inventory();
    const tree = this.buildTree(inventory, this.topOf(inventory, volumeName));
    return {
      root: tree.root.name,
      members: tree.members,
      usedBytes: tree.usedBytes,
      snapshotCount: tree.snapshots.filter((s) => s.transient !== true).length,
      snapshotLimit: this.manifest.limits.snapshotsPerVolumeTree,
    };
  }

  /**
   * Snapshots first, then clones, then the root: StorPool keeps a snapshot that
   * still has children as 'deleted' and drops it when the last child goes, and
   * a retry after a crash still finds the root and with it the rest. A root
   * already gone leaves at most snapshots taken of it, which are found by onVolume.
   */
  async deleteVolumeTree(volumeName: string): Promise<void> {
    assertVolumeName(volumeName);
    let tree: LoadedTree;
    try {
      tree = this.buildTree(await this.inventory(), volumeName);
    } catch (error) {
      if (!isBackendError(error) || error.kind !== 'not_found') throw error;
      const leftovers = (await this.snapshotsList()).filter((s) => s.onVolume === volumeName && s.deleted !== true && this.isOurs(s));
      for (const snapshot of leftovers) await this.deleteSnapshotByName(snapshot.name);
      return;
    }
    for (const snapshot of tree.snapshots) await this.deleteSnapshotByName(snapshot.name);
    for (const volume of [...tree.volumes].reverse()) await this.deleteVolume(volume.name);
  }

  async close(): Promise<void> {
    // No session to end and no timers: StorPool's API is stateless per call.
  }

  // ---- snapshots --------------------------------------------------------

  async createSnapshot(volumeName: string, snapshotName: string): Promise<BackendSnapshot> {
    assertVolumeName(volumeName);
    assertSnapshotName(snapshotName);
    try {
      await this.api({ operation: `snapshot volume ${volumeName} as`, object: snapshotName, notFound: volumeMissing() }, (c) =>
        c.post('VolumeSnapshot', volumeName, { name: snapshotName, tags: { [MARKER_TAG]: this.installationId } }),
      );
    } catch (error) {
      if (!isBackendError(error) || error.code !== 'storpool.object_exists') throw error;
    }
    return this.toSnapshot(await this.existingSnapshot(volumeName, snapshotName, 'snapshot volume'));
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    assertVolumeName(volumeName);
    assertSnapshotName(snapshotName);
    const snapshot = await this.findSnapshot(snapshotName);
    if (snapshot === undefined || snapshot.deleted === true) return;
    if (snapshot.onVolume !== volumeName) throw notOfVolume(snapshotName, volumeName, snapshot.onVolume, 'delete');
    await this.deleteSnapshotByName(snapshotName);
  }

  async listSnapshots(volumeName: string): Promise<BackendSnapshot[]> {
    assertVolumeName(volumeName);
    const snapshots = (await this.snapshotsList()).filter((s) => s.onVolume === volumeName && s.deleted !== true && s.transient !== true);
    return snapshots.sort(oldestFirst).map((s) => this.toSnapshot(s));
  }

  /**
   * VolumeRevert. StorPool refuses it on an attached volume, so the driver does
   * what CloudStack does: detach first (unforced, so a volume a guest still has
   * open is refused by StorPool rather than yanked), revert, and attach it again
   * to the same clients so that the grants the caller holds stay true.
   */
  async revertToSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    assertVolumeName(volumeName);
    assertSnapshotName(snapshotName);
    await this.ownSnapshot(volumeName, snapshotName, 'revert volume');
    const attachments = (
      await this.api({ operation: 'list attachments of volume', object: volumeName }, (c) => c.get<AttachmentDesc[]>('AttachmentsList'))
    ).filter((a) => !a.snapshot && a.volume === volumeName);
    if (attachments.length > 0) {
      await this.api({ operation: 'detach volume before revert: volume', object: volumeName, notFound: volumeMissing() }, (c) =>
        c.post('VolumesReassign', undefined, [{ volume: volumeName, detach: attachments.map((a) => a.client) }]),
      );
    }
    let failure: unknown;
    try {
      await this.api({ operation: `revert volume ${volumeName} to snapshot`, object: snapshotName }, (c) =>
        c.post('VolumeRevert', volumeName, { toSnapshot: snapshotName }),
      );
    } catch (error) {
      failure = error;
    }
    if (attachments.length > 0) {
      const rw = attachments.filter((a) => a.rights === 'rw').map((a) => a.client);
      const ro = attachments.filter((a) => a.rights === 'ro').map((a) => a.client);
      const reattach = this.api({ operation: 'attach volume again after revert: volume', object: volumeName, notFound: volumeMissing() }, (c) =>
        c.post('VolumesReassign', undefined, [{ volume: volumeName, ...(rw.length > 0 ? { rw } : {}), ...(ro.length > 0 ? { ro } : {}) }]),
      );
      // A failed revert is the news; a failed re-attach after it must not hide it.
      if (failure === undefined) await reattach;
      else await reattach.catch(() => undefined);
    }
    if (failure !== undefined) throw failure;
  }

  /** VolumeCreate{parent}: a new volume on top of the snapshot; no data is copied. */
  async cloneFromSnapshot(request: CloneRequest): Promise<BackendVolume> {
    const { sourceVolumeName, snapshotName, name } = request;
    assertVolumeName(name);
    assertVolumeName(sourceVolumeName);
    assertSnapshotName(snapshotName);
    const snapshot = await this.ownSnapshot(sourceVolumeName, snapshotName, 'clone snapshot');
    const sizeBytes = request.sizeBytes ?? snapshot.size;
    assertVolumeSize(this.manifest, sizeBytes);
    if (sizeBytes < snapshot.size) {
      const message = `a clone of ${snapshotName} must be at least its ${snapshot.size} bytes, not ${sizeBytes}`;
      throw new BackendError('invalid', BackendErrorCode.SizeInvalid, message, {
        details: { violations: [{ field: 'sizeBytes', rule: 'atLeastSnapshotSize', message }] },
      });
    }
    return this.createOrAdopt(name, sizeBytes, { parent: snapshotName, size: sizeBytes }, `clone snapshot ${snapshotName} into volume`);
  }

  /** VolumeCreate{baseOn}: a copy of a live volume (StorPool takes a transient snapshot of it). */
  async copyVolume(sourceVolumeName: string, name: string): Promise<BackendVolume> {
    assertVolumeName(sourceVolumeName);
    assertVolumeName(name);
    const source = await this.getVolume(sourceVolumeName, 'copy volume');
    return this.createOrAdopt(name, source.size, { baseOn: sourceVolumeName }, `copy volume ${sourceVolumeName} into volume`);
  }

  // ---- group snapshots --------------------------------------------------

  /** VolumesGroupSnapshot: one consistent point in time for all members; a retry finds the snapshots the first attempt made. */
  async createGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<BackendSnapshot[]> {
    assertTagValue('groupName', groupName);
    if (members.length === 0) throw invalid('members', 'nonEmpty', 'a group snapshot needs at least one volume');
    for (const member of members) {
      assertVolumeName(member.volumeName);
      assertSnapshotName(member.snapshotName);
    }
    const existing = await Promise.all(members.map((m) => this.findSnapshot(m.snapshotName)));
    const present = existing.filter((s) => s !== undefined && s.deleted !== true).length;
    if (present === 0) {
      await this.api({ operation: 'group snapshot', object: groupName, notFound: volumeMissing() }, (c) =>
        c.post<GroupSnapshotResult>('VolumesGroupSnapshot', undefined, {
          volumes: members.map((m) => ({ volume: m.volumeName, name: m.snapshotName })),
          tags: { [MARKER_TAG]: this.installationId, [GROUP_TAG]: groupName },
        }),
      );
    } else if (present !== members.length) {
      throw new BackendError(
        'conflict',
        'storpool.group_snapshot_partial',
        `group snapshot ${groupName}: ${present} of ${members.length} member snapshots already exist; StorPool makes them all at once, so another group holds those names`,
        { details: { groupName } },
      );
    }
    const result: BackendSnapshot[] = [];
    for (const member of members) result.push(this.toSnapshot(await this.existingSnapshot(member.volumeName, member.snapshotName, `group snapshot ${groupName}:`)));
    return result;
  }

  async deleteGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<void> {
    assertTagValue('groupName', groupName);
    for (const member of members) await this.deleteSnapshot(member.volumeName, member.snapshotName);
  }

  // ---- QoS and tags -----------------------------------------------------

  /** iops and bw (KB/s) on the volume itself, and the storpool_qos tier as the qc tag; null removes. */
  async setQos(volumeName: string, limits: QosLimits): Promise<void> {
    assertVolumeName(volumeName);
    const update: Record<string, unknown> = {};
    if (limits.iops !== undefined) update['iops'] = limits.iops === null ? '-' : positiveInteger('iops', limits.iops);
    if (limits.bandwidthBytesPerSecond !== undefined) {
      // StorPool's bw is in KB/s; rounding up never limits below what was asked.
      update['bw'] =
        limits.bandwidthBytesPerSecond === null ? '-' : Math.ceil(positiveInteger('bandwidthBytesPerSecond', limits.bandwidthBytesPerSecond) / 1024);
    }
    if (limits.tier !== undefined) {
      if (limits.tier !== null) assertTagValue('tier', limits.tier);
      update['tags'] = { [this.qosTierTagKey]: limits.tier ?? '' };
    }
    if (Object.keys(update).length === 0) {
      await this.getVolume(volumeName, 'set QoS of volume');
      return;
    }
    await this.api({ operation: 'set QoS of volume', object: volumeName, notFound: volumeMissing() }, (c) => c.post('VolumeUpdate', volumeName, update));
  }

  /** Sets (or, with null, removes) tags on a volume; our marker tag is not the caller's to change. */
  async setVolumeTags(volumeName: string, tags: Readonly<Record<string, string | null>>): Promise<void> {
    assertVolumeName(volumeName);
    const update: Tags = {};
    for (const [key, value] of Object.entries(tags)) {
      if (!TAG_KEY.test(key) || key.length > STORPOOL_MAX_NAME_LENGTH) throw invalid('tags', 'tagKey', `tag key '${key}' must match ${TAG_KEY}`);
      if (key === MARKER_TAG || key === GROUP_TAG) throw invalid('tags', 'reservedTag', `tag '${key}' is reserved for Strata's own bookkeeping`);
      if (value !== null) assertTagValue(`tags.${key}`, value);
      update[key] = value ?? '';
    }
    await this.api({ operation: 'tag volume', object: volumeName, notFound: volumeMissing() }, (c) => c.post('VolumeUpdate', volumeName, { tags: update }));
  }

  /** The volume's tags as StorPool holds them. */
  async getVolumeTags(volumeName: string): Promise<Tags> {
    assertVolumeName(volumeName);
    return { ...((await this.getVolume(volumeName, 'read tags of volume')).tags ?? {}) };
  }

  // ---- native migration -------------------------------------------------

  /**
   * The cluster is the management API's host:port (one API serves one cluster); the pool is
   * the template, which is what VolumeUpdate{template} takes. The same API written
   * differently (case, the default port left out) compares equal.
   */
  migrationTarget(): MigrationTarget {
    return { cluster: this.cluster, pool: this.template };
  }

  /**
   * VolumeUpdate{template} for every volume of the tree and SnapshotUpdate{template}
   * for its snapshots: StorPool re-places the data itself. destinationPool is the
   * destination pool's template. Members already moved are skipped, so a repeat is harmless.
   */
  async startTreeMigration(volumeName: string, destinationPool: string): Promise<void> {
    assertVolumeName(volumeName);
    await this.describeDestination(destinationPool);
    const inventory = await this.inventory();
    const tree = this.buildTree(inventory, this.topOf(inventory, volumeName));
    for (const volume of tree.volumes) {
      if (volume.templateName === destinationPool) continue;
      await this.api({ operation: `move volume to template ${destinationPool}: volume`, object: volume.name, notFound: volumeMissing() }, (c) =>
        c.post('VolumeUpdate', volume.name, { template: destinationPool }),
      );
    }
    for (const snapshot of tree.snapshots) {
      if (snapshot.templateName === destinationPool) continue;
      await this.api({ operation: `move snapshot to template ${destinationPool}: snapshot`, object: snapshot.name }, (c) =>
        c.post('SnapshotUpdate', snapshot.name, { template: destinationPool }),
      );
    }
  }

  /** Done when every member of the tree is on the destination template. */
  async treeMigrationStatus(volumeName: string, destinationPool: string): Promise<MigrationStatus> {
    assertVolumeName(volumeName);
    assertTemplateName(destinationPool);
    const inventory = await this.inventory();
    const tree = this.buildTree(inventory, this.topOf(inventory, volumeName));
    const all = [...tree.volumes, ...tree.snapshots];
    const moved = all.filter((member) => member.templateName === destinationPool).length;
    if (moved === all.length) return { state: 'done', progressPercent: 100 };
    return {
      state: 'running',
      progressPercent: Math.floor((moved * 100) / all.length),
      message: `${moved} of ${all.length} members of ${volumeName}'s tree are on template ${destinationPool}`,
    };
  }

  // ---- internals --------------------------------------------------------

  private async createOrAdopt(name: string, sizeBytes: number, source: Record<string, unknown>, operation: string): Promise<BackendVolume> {
    const body = { name, template: this.template, tags: this.newVolumeTags(), ...source };
    try {
      await this.api({ operation, object: name, notFound: { kind: 'not_found', code: 'storpool.source_not_found' } }, (c) =>
        c.post<VolumeCreateResult>('VolumeCreate', undefined, body),
      );
    } catch (error) {
      if (!isBackendError(error) || error.code !== 'storpool.object_exists') throw error;
      return this.adopt(name, sizeBytes, error);
    }
    return { name, sizeBytes };
  }

  /** A same-name volume exists: ours from a crashed attempt when the size and marker match. */
  private async adopt(name: string, sizeBytes: number, cause: unknown): Promise<BackendVolume> {
    const existing = await this.getVolume(name, 'create volume');
    if (existing.tags?.[MARKER_TAG] !== this.installationId) {
      throw new BackendError('conflict', 'storpool.foreign_volume', `volume ${name} already exists on the StorPool cluster and was not made by this Strata installation`, {
        cause,
        details: { name },
      });
    }
    if (existing.templateName !== this.template) {
      throw new BackendError(
        'conflict',
        'storpool.volume_in_other_template',
        `volume ${name} already exists on template ${existing.templateName}, not on this pool's template ${this.template}`,
        { cause, details: { name, template: existing.templateName } },
      );
    }
    if (existing.size !== sizeBytes) {
      throw new BackendError(
        'conflict',
        BackendErrorCode.VolumeSizeConflict,
        `volume ${name} already exists on template ${existing.templateName} with ${existing.size} bytes, not the ${sizeBytes} requested`,
        { cause, details: { name, existingSizeBytes: existing.size, requestedSizeBytes: sizeBytes } },
      );
    }
    return this.toVolume(existing);
  }

  private newVolumeTags(): Tags {
    const tags: Tags = { [MARKER_TAG]: this.installationId };
    if (this.vcPolicy !== undefined) tags[VC_POLICY_TAG] = this.vcPolicy;
    if (this.defaultQosTier !== undefined) tags[this.qosTierTagKey] = this.defaultQosTier;
    return tags;
  }

  private async getVolume(name: string, operation: string): Promise<VolumeSummary> {
    const found = await this.api({ operation, object: name, notFound: volumeMissing() }, (c) => c.get<VolumeSummary[]>('Volume', name));
    const volume = found[0];
    if (volume === undefined) throw new BackendError('not_found', BackendErrorCode.VolumeNotFound, `${operation} ${name}: StorPool lists no such volume`);
    return volume;
  }

  private async findSnapshot(name: string): Promise<SnapshotSummary | undefined> {
    try {
      const found = await this.api({ operation: 'read snapshot', object: name }, (c) => c.get<SnapshotSummary[]>('Snapshot', name));
      return found[0];
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  /** The snapshot, which must exist and have been taken of volumeName. */
  private async ownSnapshot(volumeName: string, snapshotName: string, operation: string): Promise<SnapshotSummary> {
    const snapshot = await this.findSnapshot(snapshotName);
    if (snapshot === undefined || snapshot.deleted === true) {
      throw new BackendError('not_found', 'snapshot.not_found', `${operation} ${volumeName}: snapshot ${snapshotName} not found`, {
        details: { volumeName, snapshotName },
      });
    }
    if (snapshot.onVolume !== volumeName) throw notOfVolume(snapshotName, volumeName, snapshot.onVolume, operation);
    return snapshot;
  }

  /** After a create: the snapshot of that name, which must be of volumeName; anything else holds the name ('conflict'). */
  private async existingSnapshot(volumeName: string, snapshotName: string, operation: string): Promise<SnapshotSummary> {
    const snapshot = await this.findSnapshot(snapshotName);
    if (snapshot !== undefined && snapshot.onVolume === volumeName && snapshot.deleted !== true) return snapshot;
    const holder = snapshot === undefined ? 'nothing (it vanished)' : snapshot.deleted === true ? 'a snapshot being deleted' : `a snapshot of volume ${snapshot.onVolume}`;
    throw new BackendError('conflict', 'storpool.snapshot_name_taken', `${operation} ${volumeName}: the name ${snapshotName} already belongs to ${holder}`, {
      details: { volumeName, snapshotName },
    });
  }

  private async deleteSnapshotByName(name: string): Promise<void> {
    await this.ignoreMissing(this.api({ operation: 'delete snapshot', object: name }, (c) => c.post('SnapshotDelete', name, {})));
  }

  private async describeDestination(template: string): Promise<void> {
    assertTemplateName(template);
    await this.api({ operation: 'describe destination template', object: template, notFound: templateMissing() }, (c) =>
      c.get<TemplateDesc>('VolumeTemplateDescribe', template),
    );
  }

  private async inventory(): Promise<Inventory> {
    const [volumes, snapshots, volumeSpace, snapshotSpace] = await Promise.all([
      this.volumesList(),
      this.snapshotsList(),
      this.volumesSpace(),
      this.api({ operation: 'list snapshot space', object: 'of the cluster' }, (c) => c.get<SpaceEntry[]>('SnapshotsSpace')),
    ]);
    return {
      volumes,
      snapshots,
      snapshotByName: new Map(snapshots.map((s) => [s.name, s])),
      stored: new Map<string, number>([...volumeSpace, ...snapshotSpace].map((e) => [e.name, e.storedSize])),
    };
  }

  /** The snapshot a volume was cloned from: the first snapshot up its parent chain that was not taken of it. */
  private originOf(inventory: Inventory, volume: VolumeSummary): SnapshotSummary | undefined {
    const seen = new Set<string>();
    for (let parent = volume.parentName; parent !== '' && !seen.has(parent); ) {
      seen.add(parent);
      const snapshot = inventory.snapshotByName.get(parent);
      if (snapshot === undefined) return undefined;
      if (snapshot.onVolume !== volume.name) return snapshot;
      parent = snapshot.parentName;
    }
    return undefined;
  }

  /** The volume at the top of the tree the named volume is in: up through clone origins while their volumes exist. */
  private topOf(inventory: Inventory, name: string): string {
    const seen = new Set<string>([name]);
    for (let current = inventory.volumes.find((v) => v.name === name); current !== undefined; ) {
      const origin = this.originOf(inventory, current);
      const source = origin === undefined ? undefined : inventory.volumes.find((v) => v.name === origin.onVolume);
      if (source === undefined || seen.has(source.name)) return current.name;
      seen.add(source.name);
      current = source;
    }
    return name;
  }

  /** The tree below rootName: its snapshots, the clones made from them, theirs, and so on. */
  private buildTree(inventory: Inventory, rootName: string): LoadedTree {
    const { volumes, snapshots, stored } = inventory;
    const root = volumes.find((v) => v.name === rootName);
    if (root === undefined) {
      throw new BackendError('not_found', BackendErrorCode.VolumeNotFound, `volume ${rootName} not found on the StorPool cluster`, { details: { name: rootName } });
    }
    const originOf = (volume: VolumeSummary): string | undefined => this.originOf(inventory, volume)?.name;

    const treeVolumes: VolumeSummary[] = [root];
    const treeSnapshots: SnapshotSummary[] = [];
    const members: VolumeTreeMember[] = [];
    const allocated = (name: string, size: number): number => Math.min(size, stored.get(name) ?? size);
    members.push({ name: root.name, kind: 'volume', parent: null, sizeBytes: root.size, allocatedBytes: allocated(root.name, root.size) });
    for (let i = 0; i < treeVolumes.length; i += 1) {
      const volume = treeVolumes[i] as VolumeSummary;
      const own = snapshots.filter((s) => s.onVolume === volume.name && s.deleted !== true).sort(oldestFirst);
      for (const snapshot of own) {
        treeSnapshots.push(snapshot);
        members.push({ name: snapshot.name, kind: 'snapshot', parent: volume.name, sizeBytes: snapshot.size, allocatedBytes: allocated(snapshot.name, snapshot.size) });
      }
      // Clones also hang off snapshots already deleted (kept while they have children).
      const origins = new Set(snapshots.filter((s) => s.onVolume === volume.name).map((s) => s.name));
      for (const clone of volumes) {
        const origin = originOf(clone);
        if (origin === undefined || !origins.has(origin) || treeVolumes.includes(clone)) continue;
        treeVolumes.push(clone);
        const parent = treeSnapshots.some((s) => s.name === origin) ? origin : volume.name;
        members.push({ name: clone.name, kind: 'clone', parent, sizeBytes: clone.size, allocatedBytes: allocated(clone.name, clone.size) });
      }
    }
    const usedBytes = members.reduce((sum, member) => sum + (member.allocatedBytes ?? member.sizeBytes), 0);
    return { root, volumes: treeVolumes, snapshots: treeSnapshots, members, usedBytes };
  }

  private volumesList(): Promise<VolumeSummary[]> {
    return this.api({ operation: 'list volumes', object: 'of the cluster' }, (c) => c.get<VolumeSummary[]>('VolumesList'));
  }

  private volumesSpace(): Promise<SpaceEntry[]> {
    return this.api({ operation: 'list volume space', object: 'of the cluster' }, (c) => c.get<SpaceEntry[]>('VolumesSpace'));
  }

  private snapshotsList(): Promise<SnapshotSummary[]> {
    return this.api({ operation: 'list snapshots', object: 'of the cluster' }, (c) => c.get<SnapshotSummary[]>('SnapshotsList'));
  }

  private isOurs(object: VolumeSummary): boolean {
    return object.tags?.[MARKER_TAG] === this.installationId;
  }

  /** A host is a StorPool client id, or a host name the pool config maps to one. */
  private clientIdOf(host: string): number {
    const mapped = Object.prototype.hasOwnProperty.call(this.clients, host) ? this.clients[host] : undefined;
    const id = mapped ?? (/^\d{1,4}$/.test(host) ? Number(host) : undefined);
    if (id === undefined || id < 1 || id > MAX_CLIENT_ID) {
      throw invalid('host', 'storpoolClientId', `host '${host}' is neither a StorPool client id (1-${MAX_CLIENT_ID}) nor a host named in the pool's clients setting`);
    }
    return id;
  }

  private devicePathOf(name: string, clientId: number): string {
    return this.devicePath.replaceAll('{client}', String(clientId)).replaceAll('{name}', name);
  }

  private toVolume(volume: VolumeSummary, storedSize?: number): BackendVolume {
    return { name: volume.name, sizeBytes: volume.size, ...(storedSize === undefined ? {} : { allocatedBytes: Math.min(storedSize, volume.size) }) };
  }

  private toSnapshot(snapshot: SnapshotSummary): BackendSnapshot {
    return {
      name: snapshot.name,
      volumeName: snapshot.onVolume,
      sizeBytes: snapshot.size,
      ...(snapshot.creationTimestamp === undefined ? {} : { createdAt: new Date(snapshot.creationTimestamp * 1000).toISOString() }),
    };
  }

  /** Runs one API call and maps whatever it throws. */
  private async api<T>(context: CallContext, call: (client: StorPoolClient) => Promise<T>): Promise<T> {
    try {
      return await call(this.client);
    } catch (error) {
      throw toStorPoolError(error, context, this.client.endpoint);
    }
  }

  /** Resolves undefined when the call failed because its object is gone (idempotent deletes and detaches). */
  private async ignoreMissing<T>(call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return undefined;
      throw error;
    }
  }
}

/**
 * host:port of the API, the host as a URL parser canonicalises it (lower case, IPv4 and
 * bracketed IPv6 in their usual form), the way the client reaches it.
 */
function apiIdentity(host: string, port: number): string {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    hostname = host.toLowerCase();
  }
  return `${hostname}:${port}`;
}

function oldestFirst(a: VolumeSummary, b: VolumeSummary): number {
  return (a.creationTimestamp ?? 0) - (b.creationTimestamp ?? 0) || (a.visibleVolumeId ?? 0) - (b.visibleVolumeId ?? 0);
}

function volumeMissing(): CallContext['notFound'] {
  return { kind: 'not_found', code: BackendErrorCode.VolumeNotFound };
}

function templateMissing(): CallContext['notFound'] {
  return { kind: 'invalid', code: 'storpool.template_not_found' };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function invalid(field: string, rule: string, message: string): BackendError {
  return new BackendError('invalid', rule === 'volumeName' || rule === 'snapshotName' ? BackendErrorCode.NameInvalid : 'storpool.invalid_request', `${message} (${rule})`, {
    details: { violations: [{ field, rule, message }] },
  });
}

function notOfVolume(snapshotName: string, volumeName: string, onVolume: string, operation: string): BackendError {
  return new BackendError('invalid', 'storpool.snapshot_of_other_volume', `${operation} ${volumeName}: snapshot ${snapshotName} was taken of volume ${onVolume}, not of ${volumeName}`, {
    details: { snapshotName, volumeName, onVolume },
  });
}

/** StorPool's volume name rule (sptypes.py VOLUME_NAME_REGEX, < 200 characters, not 'list' or 'status'). */
function assertVolumeName(name: string): void {
  if (typeof name !== 'string' || !VOLUME_NAME.test(name) || name.length > STORPOOL_MAX_NAME_LENGTH || RESERVED_NAMES.has(name)) {
    throw invalid('name', 'volumeName', `volume name '${String(name).slice(0, 64)}' must match ${VOLUME_NAME}, be at most ${STORPOOL_MAX_NAME_LENGTH} characters and not be 'list' or 'status'`);
  }
}

function assertSnapshotName(name: string): void {
  if (typeof name !== 'string' || !SNAPSHOT_NAME.test(name) || name.length > STORPOOL_MAX_NAME_LENGTH || RESERVED_NAMES.has(name)) {
    throw invalid('snapshotName', 'snapshotName', `snapshot name '${String(name).slice(0, 64)}' must match ${SNAPSHOT_NAME} and be at most ${STORPOOL_MAX_NAME_LENGTH} characters`);
  }
}

function assertTemplateName(name: string): void {
  if (typeof name !== 'string' || !TEMPLATE_NAME.test(name) || name.length > STORPOOL_MAX_NAME_LENGTH) {
    throw invalid('destinationPool', 'templateName', `template name '${String(name).slice(0, 64)}' must match ${TEMPLATE_NAME}`);
  }
}

function assertTagValue(field: string, value: string): void {
  if (typeof value !== 'string' || !TAG_VALUE.test(value) || value === '' || value.length > STORPOOL_MAX_NAME_LENGTH) {
    throw invalid(field, 'tagValue', `${field} '${String(value).slice(0, 64)}' must be a non-empty StorPool tag value matching ${TAG_VALUE}`);
  }
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(field, 'positiveInteger', `${field} (${value}) must be a positive integer, or null to remove the limit`);
  return value;
}
