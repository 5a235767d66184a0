import { randomUUID } from 'node:crypto';
import type { AggregateEventRow, HostRow, JobRow, PoolDriftRow, PoolRow, SnapshotPolicyRow, SnapshotRow, VmSnapshotRow, VolumeRow } from '../../read-model/domain/rows';
import { NO_USAGE } from './pool-projection';
import { needsPoolUsage, projectEvent, projectionTargets } from './project-event';
import { readEvent, type ReceivedEvent } from './storage-event';

/** The read models in memory, fed the way the TypeORM edge feeds the real ones. */
class ReadModels {
  pools = new Map<string, PoolRow>();
  volumes = new Map<string, VolumeRow>();
  hosts = new Map<string, HostRow>();
  drifts = new Map<string, PoolDriftRow>();
  snapshots = new Map<string, SnapshotRow>();
  policies = new Map<string, SnapshotPolicyRow>();
  vmSnapshots = new Map<string, VmSnapshotRow>();
  jobs = new Map<string, JobRow>();
  history: AggregateEventRow[] = [];

  apply(...events: ReceivedEvent[]): this {
    for (const event of events) {
      const t = projectionTargets(event);
      // As the edge does: a volume event that names no pool is on the volume's.
      const poolId = t.poolId ?? (t.volumeId ? this.volumes.get(t.volumeId)?.poolId : undefined);
      const pool = (poolId && this.pools.get(poolId)) || null;
      const usage =
        needsPoolUsage(event) && poolId && !pool
          ? [...this.volumes.values()]
              .filter((v) => v.poolId === poolId)
              .reduce(
                (u, v) => ({
                  allocatedBytes: u.allocatedBytes + (v.allocated ? Math.max(v.sizeBytes, v.resizeToBytes ?? 0) : 0),
                  volumeCount: u.volumeCount + (v.allocated ? 1 : 0),
                  changedAt: v.usageChangedAt && (!u.changedAt || v.usageChangedAt > u.changedAt) ? v.usageChangedAt : u.changedAt,
                }),
                NO_USAGE,
              )
          : NO_USAGE;
      // VolumeMigrated also loads the pool the volume leaves.
      const sourcePool = (t.sourcePoolId && t.sourcePoolId !== poolId && this.pools.get(t.sourcePoolId)) || null;
      const view = {
        pool,
        sourcePool,
        poolUsage: usage,
        volume: (t.volumeId && this.volumes.get(t.volumeId)) || null,
        // As the edge does for a volume not projected yet: the latest SnapshotBackupSet of its history.
        volumeBackupSetting: t.volumeId && !this.volumes.get(t.volumeId) ? this.backupSettingOf(t.volumeId) : null,
        host: (t.hostId && this.hosts.get(t.hostId)) || null,
        drift: (t.driftPoolId && this.drifts.get(t.driftPoolId)) || null,
        snapshot: (t.snapshotId && this.snapshots.get(t.snapshotId)) || null,
        policy: (t.policyId && this.policies.get(t.policyId)) || null,
        vmSnapshot: (t.vmSnapshotId && this.vmSnapshots.get(t.vmSnapshotId)) || null,
        job: (t.jobId && this.jobs.get(t.jobId)) || null,
      };
      const changes = projectEvent(view, event);
      if (changes.pool) this.pools.set(changes.pool.id, changes.pool);
      if (changes.sourcePool) this.pools.set(changes.sourcePool.id, changes.sourcePool);
      if (changes.volume) this.volumes.set(changes.volume.id, changes.volume);
      if (changes.host) this.hosts.set(changes.host.id, changes.host);
      if (changes.drift) this.drifts.set(changes.drift.poolId, changes.drift);
      if (changes.snapshot) this.snapshots.set(changes.snapshot.id, changes.snapshot);
      if (changes.policy) this.policies.set(changes.policy.id, changes.policy);
      if (changes.vmSnapshot) this.vmSnapshots.set(changes.vmSnapshot.id, changes.vmSnapshot);
      if (changes.job) this.jobs.set(changes.job.id, changes.job);
      const h = changes.history;
      if (h && !this.history.some((e) => e.aggregateId === h.aggregateId && e.stream === h.stream && e.streamVersion === h.streamVersion)) this.history.push(h);
    }
    return this;
  }

  private backupSettingOf(volumeId: string) {
    const latest = this.history
      .filter((h) => h.aggregateId === volumeId && h.stream === 'snapshot-settings')
      .sort((a, b) => b.streamVersion - a.streamVersion)[0];
    return latest ? { backupSnapshots: (latest.envelope.data as { backupSnapshots: boolean }).backupSnapshots, version: latest.streamVersion } : null;
  }
}

const GiB = 2 ** 30;
let clock = Date.parse('2026-01-01T00:00:00.000Z');

function event(type: string, aggregateId: string, streamVersion: number | null, data: Record<string, unknown>, causationId: string | null = randomUUID(), tenant: string | null = null): ReceivedEvent {
  clock += 1000;
  const read = readEvent({
    messageId: randomUUID(),
    kind: 'event',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion,
    occurredAt: new Date(clock).toISOString(),
    correlationId: causationId ?? 'c',
    causationId,
    tenant,
    data,
  });
  if (!read.ok) throw new Error(read.reason);
  return read.event;
}

const poolAdded = (poolId: string, job: string | null = randomUUID()) =>
  event('StoragePoolAdded', poolId, 1, {
    poolId,
    name: 'fast-01',
    plugin: 'file',
    zoneId: 'zone-1',
    clusterId: null,
    tags: ['ssd'],
    config: { path: '/srv/pool' },
    capacityBytes: 100 * GiB,
    usedBytes: 3 * GiB,
  }, job);

function volumeEvents(volumeId: string, poolId: string, tenant: string | null = 'acme') {
  const job = randomUUID();
  return {
    job,
    requested: (size = 10 * GiB) =>
      event('VolumeCreationRequested', volumeId, 1, { volumeId, name: 'data-1', poolId, sizeBytes: size, volumeType: 'DATA', backendName: `vol-${volumeId}` }, job, tenant),
    created: (size = 10 * GiB, version = 2) =>
      event('VolumeCreated', volumeId, version, { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: size, path: `/srv/pool/vol-${volumeId}` }, job, tenant),
    creationFailed: () =>
      event('VolumeCreationFailed', volumeId, 2, { volumeId, poolId, error: { code: 'backend.no_space', category: 'capacity', message: 'no space left' } }, job, tenant),
    deletionRequested: (deleteJob: string, version = 3) =>
      event('VolumeDeletionRequested', volumeId, version, { volumeId, poolId, backendName: `vol-${volumeId}` }, deleteJob, tenant),
    deleted: (deleteJob: string, version = 4) => event('VolumeDeleted', volumeId, version, { volumeId, poolId, sizeBytes: 10 * GiB }, deleteJob, tenant),
    deletionFailed: (deleteJob: string, version = 4) =>
      event('VolumeDeletionFailed', volumeId, version, { volumeId, poolId, error: { code: 'backend.busy', category: 'backend', message: 'in use' } }, deleteJob, tenant),
  };
}

describe('projection: pools', () => {
  it('StoragePoolAdded creates the pool with its capacity and completes its job', () => {
    const poolId = randomUUID();
    const added = poolAdded(poolId);
    const rm = new ReadModels().apply(added);
    expect(rm.pools.get(poolId)).toMatchObject({
      name: 'fast-01',
      plugin: 'file',
      zoneId: 'zone-1',
      clusterId: null,
      tags: ['ssd'],
      config: { path: '/srv/pool' },
      status: 'enabled',
      capacityBytes: 100 * GiB,
      usedBytes: 3 * GiB,
      allocatedBytes: 0,
      volumeCount: 0,
      version: 1,
      createdAt: added.occurredAt,
    });
    expect(rm.jobs.get(added.causationId!)).toMatchObject({ status: 'succeeded', commandType: 'AddStoragePool', aggregateId: poolId, result: { poolId } });
    expect(rm.history.map((h) => h.type)).toEqual(['StoragePoolAdded']);
  });

  it('counts volumes projected before their pool (events of different partitions)', () => {
    const poolId = randomUUID();
    const a = volumeEvents(randomUUID(), poolId);
    const b = volumeEvents(randomUUID(), poolId);
    const rm = new ReadModels().apply(a.requested(4 * GiB), a.created(4 * GiB), b.requested(1 * GiB), b.creationFailed(), poolAdded(poolId));
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 4 * GiB, volumeCount: 1 });
  });

  // Found by the fault run (docs/fault-tests.md): a rebuild replays partitions in parallel, and
  // a pool replayed after some of its volumes had an updatedAt that their usage changes had
  // not moved, unlike the live projection's.
  it('a pool projected after its volumes has the updatedAt it has when projected first', () => {
    const poolId = randomUUID();
    const added = poolAdded(poolId);
    const a = volumeEvents(randomUUID(), poolId);
    const b = volumeEvents(randomUUID(), poolId);
    const deleteJob = randomUUID();
    const events = [a.requested(), a.created(), b.requested(), b.created(), b.deletionRequested(deleteJob), b.deleted(deleteJob)];
    const attach = event('VolumeAttached', events[1]!.envelope.aggregateId, 3, { volumeId: events[1]!.envelope.aggregateId, hostId: randomUUID(), devicePath: '/dev/x' }, null);
    const live = new ReadModels().apply(added, ...events, attach).pools.get(poolId)!;
    const replayed = new ReadModels().apply(...events, attach, added).pools.get(poolId)!;
    const between = new ReadModels().apply(...events.slice(0, 3), added, ...events.slice(3), attach).pools.get(poolId)!;
    expect(live.updatedAt).toEqual(events[5]!.occurredAt);
    expect(replayed).toEqual(live);
    expect(between).toEqual(live);
  });

  it('ignores a second StoragePoolAdded of the same version', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId));
    const changes = projectEvent({ pool: rm.pools.get(poolId)!, poolUsage: NO_USAGE, volume: null, host: null, drift: null, job: null }, poolAdded(poolId));
    expect(changes.pool).toBeUndefined();
  });
});

describe('projection: pool lifecycle', () => {
  /** A pool added with the defaults, then its lifecycle events at the next versions. */
  function lifecycle(poolId: string) {
    let version = 1;
    const next = (type: string, data: Record<string, unknown>, job: string | null = randomUUID()) => event(type, poolId, ++version, { poolId, ...data }, job);
    return {
      updated: (changes: Record<string, unknown>, job?: string) => next('StoragePoolUpdated', { changes }, job),
      enabled: (job?: string) => next('StoragePoolEnabled', {}, job),
      disabled: (reason: string | null, job?: string) => next('StoragePoolDisabled', { reason }, job),
      deleted: (job?: string) => next('StoragePoolDeleted', {}, job),
      refreshed: (capacityBytes: number, usedBytes: number, job: string | null = null) => next('StoragePoolCapacityRefreshed', { capacityBytes, usedBytes }, job),
    };
  }

  it('StoragePoolAdded without the new settings means the defaults: any hypervisor, IOPS unknown, factor 1, threshold 0.85', () => {
    const poolId = randomUUID();
    const added = poolAdded(poolId);
    const rm = new ReadModels().apply(added);
    expect(rm.pools.get(poolId)).toMatchObject({
      status: 'enabled',
      disabledReason: null,
      hypervisors: [],
      capacityIops: null,
      overProvisioningFactor: 1,
      allocationDisableThreshold: 0.85,
      capacityMeasuredAt: added.occurredAt,
    });
  });

  it('StoragePoolAdded with the settings keeps them', () => {
    const poolId = randomUUID();
    const added = event('StoragePoolAdded', poolId, 1, {
      poolId, name: 'thin-01', plugin: 'linstor', zoneId: 'zone-2', clusterId: 'c1', tags: [], config: {},
      capacityBytes: 10 * GiB, usedBytes: 0, hypervisors: ['kvm', 'lxc'], capacityIops: 80000, overProvisioningFactor: 2.5, allocationDisableThreshold: 0.9,
    });
    const rm = new ReadModels().apply(added);
    expect(rm.pools.get(poolId)).toMatchObject({ hypervisors: ['kvm', 'lxc'], capacityIops: 80000, overProvisioningFactor: 2.5, allocationDisableThreshold: 0.9 });
  });

  it('StoragePoolUpdated changes only the settings it names, completes its job and is history', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const job = randomUUID();
    const added = poolAdded(poolId);
    const update = p.updated({ name: 'fast-02', hypervisors: ['kvm'], overProvisioningFactor: 3 }, job);
    const rm = new ReadModels().apply(added, update);
    expect(rm.pools.get(poolId)).toMatchObject({
      name: 'fast-02',
      hypervisors: ['kvm'],
      overProvisioningFactor: 3,
      // Not named: unchanged.
      tags: ['ssd'],
      capacityIops: null,
      allocationDisableThreshold: 0.85,
      status: 'enabled',
      version: 2,
      updatedAt: update.occurredAt,
    });
    expect(rm.jobs.get(job)).toMatchObject({
      status: 'succeeded',
      commandType: 'UpdateStoragePool',
      aggregateId: poolId,
      result: { poolId, changes: { name: 'fast-02', hypervisors: ['kvm'], overProvisioningFactor: 3 } },
    });
    expect(rm.history.map((h) => [h.streamVersion, h.type])).toEqual([
      [1, 'StoragePoolAdded'],
      [2, 'StoragePoolUpdated'],
    ]);
  });

  it('StoragePoolUpdated sets capacityIops, and null makes it unknown again', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), p.updated({ capacityIops: 5000, tags: [], allocationDisableThreshold: 0.5 }));
    expect(rm.pools.get(poolId)).toMatchObject({ capacityIops: 5000, tags: [], allocationDisableThreshold: 0.5 });
    rm.apply(p.updated({ capacityIops: null }));
    expect(rm.pools.get(poolId)?.capacityIops).toBeNull();
  });

  it('StoragePoolDisabled keeps the reason, StoragePoolEnabled clears it; each completes its job', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const [disableJob, enableJob] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), p.disabled('backend maintenance', disableJob));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'disabled', disabledReason: 'backend maintenance', version: 2 });
    expect(rm.jobs.get(disableJob)).toMatchObject({ status: 'succeeded', commandType: 'DisableStoragePool', result: { poolId } });

    rm.apply(p.enabled(enableJob));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'enabled', disabledReason: null, version: 3 });
    expect(rm.jobs.get(enableJob)).toMatchObject({ status: 'succeeded', commandType: 'EnableStoragePool' });

    rm.apply(p.disabled(null));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'disabled', disabledReason: null });
  });

  it('StoragePoolDeleted marks the pool deleted and keeps what it showed', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), p.disabled('retiring'), p.deleted(job));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'deleted', name: 'fast-01', disabledReason: 'retiring', capacityBytes: 100 * GiB, version: 3 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'DeleteStoragePool', result: { poolId } });
    expect(rm.history.map((h) => h.type)).toEqual(['StoragePoolAdded', 'StoragePoolDisabled', 'StoragePoolDeleted']);
  });

  it('StoragePoolCapacityRefreshed takes the measured capacity and usage, and leaves allocatedBytes to the volumes', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const v = volumeEvents(randomUUID(), poolId);
    const job = randomUUID();
    const refreshed = p.refreshed(200 * GiB, 40 * GiB, job);
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(10 * GiB), refreshed);
    expect(rm.pools.get(poolId)).toMatchObject({
      capacityBytes: 200 * GiB,
      usedBytes: 40 * GiB,
      capacityMeasuredAt: refreshed.occurredAt,
      allocatedBytes: 10 * GiB,
      volumeCount: 1,
      version: 2,
    });
    expect(rm.jobs.get(job)).toMatchObject({
      status: 'succeeded',
      commandType: 'RefreshPoolCapacity',
      result: { poolId, capacityBytes: 200 * GiB, usedBytes: 40 * GiB },
    });
  });

  it('a periodic refresh, caused by no command, touches no job', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId, null), lifecycle(poolId).refreshed(50 * GiB, 1 * GiB));
    expect(rm.pools.get(poolId)?.capacityBytes).toBe(50 * GiB);
    expect(rm.jobs.size).toBe(0);
  });

  it('keeps volume usage counted across lifecycle events, and lifecycle settings across volume events', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const v = volumeEvents(randomUUID(), poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(5 * GiB), p.disabled('full'), v.created(5 * GiB));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'disabled', disabledReason: 'full', allocatedBytes: 5 * GiB, volumeCount: 1, version: 2 });
  });

  it('applies a lifecycle event once: a redelivery or an older version changes nothing', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    const disabled = p.disabled('x');
    const enabled = p.enabled();
    const rm = new ReadModels().apply(poolAdded(poolId), disabled, enabled);
    const pool = rm.pools.get(poolId)!;
    expect(projectEvent({ pool, poolUsage: NO_USAGE, volume: null, host: null, drift: null, job: null }, disabled).pool).toBeUndefined();
    expect(projectEvent({ pool, poolUsage: NO_USAGE, volume: null, host: null, drift: null, job: null }, enabled).pool).toBeUndefined();
    expect(rm.pools.get(poolId)?.status).toBe('enabled');
  });

  it('a lifecycle event of a pool never projected is history only, and still settles its job', () => {
    const poolId = randomUUID();
    const job = randomUUID();
    const rm = new ReadModels().apply(lifecycle(poolId).disabled('x', job));
    expect(rm.pools.has(poolId)).toBe(false);
    expect(rm.history.map((h) => h.type)).toEqual(['StoragePoolDisabled']);
    expect(rm.jobs.get(job)?.status).toBe('succeeded');
  });

  it('targets the pool of every lifecycle event, so the edge locks and loads it', () => {
    const poolId = randomUUID();
    const p = lifecycle(poolId);
    for (const e of [p.updated({ name: 'n' }), p.enabled(), p.disabled(null), p.deleted(), p.refreshed(1, 0)]) {
      expect(projectionTargets(e).poolId).toBe(poolId);
      expect(needsPoolUsage(e)).toBe(false);
    }
  });

  it('a pool.has_volumes rejection fails the DeleteStoragePool job with the volumes it names', () => {
    const poolId = randomUUID();
    const commandId = randomUUID();
    const volumeIds = [randomUUID(), randomUUID()];
    const message = `storage pool ${poolId} still holds 2 volume(s): ${volumeIds.join(', ')}; delete or migrate them first`;
    const rejected = event('CommandRejected', poolId, 1, {
      commandId,
      commandType: 'DeleteStoragePool',
      aggregateId: poolId,
      error: { code: 'pool.has_volumes', category: 'illegal_state', message },
      violations: [],
    }, commandId);
    const rm = new ReadModels().apply(poolAdded(poolId), rejected);
    expect(rm.jobs.get(commandId)).toMatchObject({
      status: 'failed',
      commandType: 'DeleteStoragePool',
      aggregateId: poolId,
      error: { code: 'pool.has_volumes', category: 'illegal_state', message, violations: [] },
    });
    expect(rm.pools.get(poolId)?.status).toBe('enabled');
  });
});

describe('projection: volumes', () => {
  const poolId = randomUUID();

  it('walks a volume through creating, ready, deleting and deleted, keeping the pool usage exact', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const deleteJob = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(10 * GiB));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'creating', name: 'data-1', tenant: 'acme', sizeBytes: 10 * GiB, allocated: true, version: 1 });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(v.job)?.status).toBe('running');

    rm.apply(v.created(10 * GiB));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', path: `/srv/pool/vol-${volumeId}`, backendName: `vol-${volumeId}`, version: 2 });
    expect(rm.jobs.get(v.job)).toMatchObject({ status: 'succeeded', result: { volumeId, sizeBytes: 10 * GiB } });

    rm.apply(v.deletionRequested(deleteJob));
    expect(rm.volumes.get(volumeId)?.status).toBe('deleting');
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(10 * GiB);

    rm.apply(v.deleted(deleteJob));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'deleted', allocated: false, version: 4 });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(deleteJob)).toMatchObject({ status: 'succeeded', commandType: 'DeleteVolume', result: { volumeId } });
    expect(rm.history.filter((h) => h.aggregateId === volumeId).map((h) => [h.streamVersion, h.type])).toEqual([
      [1, 'VolumeCreationRequested'],
      [2, 'VolumeCreated'],
      [3, 'VolumeDeletionRequested'],
      [4, 'VolumeDeleted'],
    ]);
  });

  it('takes the size the backend reports (rounded up) into the pool usage', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(5 * GiB), v.created(8 * GiB));
    expect(rm.volumes.get(volumeId)?.sizeBytes).toBe(8 * GiB);
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(8 * GiB);
  });

  it('a failed create is an error that occupies nothing, and fails its job with the reason', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(), v.creationFailed());
    expect(rm.volumes.get(volumeId)).toMatchObject({
      status: 'error',
      allocated: false,
      lastError: { code: 'backend.no_space', category: 'capacity', message: 'no space left' },
    });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(v.job)).toMatchObject({ status: 'failed', error: { code: 'backend.no_space', message: 'no space left', violations: [] } });
  });

  it('a failed delete is an error that still occupies the pool', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const deleteJob = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(), v.created(), v.deletionRequested(deleteJob), v.deletionFailed(deleteJob));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'error', allocated: true, lastError: { code: 'backend.busy' } });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(deleteJob)?.status).toBe('failed');
  });

  it('applies an event once even if it is redelivered under a new id', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const created = v.created();
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(), created);
    const replay = { ...created, envelope: { ...created.envelope, messageId: randomUUID() } };
    rm.apply(replay);
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(10 * GiB);
    expect(rm.history.filter((h) => h.aggregateId === volumeId)).toHaveLength(2);
  });

  it('lists a volume whose creation predates what the topic still holds', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), v.created(2 * GiB));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', name: `vol-${volumeId}`, sizeBytes: 2 * GiB, allocated: true, tenant: 'acme' });
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(2 * GiB);
  });
});

describe('projection: jobs and rejections', () => {
  it('CommandRejected fails the job with the violations and is no aggregate history', () => {
    const commandId = randomUUID();
    const volumeId = randomUUID();
    const rejected = event(
      'CommandRejected',
      volumeId,
      1,
      {
        commandId,
        commandType: 'CreateVolume',
        aggregateId: volumeId,
        error: { code: 'command.invalid', category: 'validation', message: 'data.sizeBytes: must not be less than 1' },
        violations: [{ field: 'data.sizeBytes', rule: 'min', message: 'data.sizeBytes must not be less than 1' }],
      },
      commandId,
      'acme',
    );
    const rm = new ReadModels().apply(rejected);
    expect(rm.jobs.get(commandId)).toMatchObject({
      status: 'failed',
      commandType: 'CreateVolume',
      aggregateId: volumeId,
      tenant: 'acme',
      error: {
        code: 'command.invalid',
        category: 'validation',
        violations: [{ field: 'data.sizeBytes', rule: 'min', message: 'data.sizeBytes must not be less than 1' }],
      },
    });
    expect(rm.history).toHaveLength(0);
    expect(rm.volumes.size).toBe(0);
  });

  it('inserts a job it has not seen (a command published straight to Kafka)', () => {
    const poolId = randomUUID();
    const v = volumeEvents(randomUUID(), poolId);
    const requested = v.requested();
    const rm = new ReadModels().apply(requested);
    expect(rm.jobs.get(v.job)).toMatchObject({ id: v.job, status: 'running', commandType: 'CreateVolume', tenant: 'acme', createdAt: requested.occurredAt });
  });

  it('never moves a job backwards: a late running after succeeded is ignored', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, randomUUID());
    const requested = v.requested();
    const created = v.created();
    const rm = new ReadModels().apply(created);
    const job = rm.jobs.get(v.job)!;
    const changes = projectEvent({ pool: null, poolUsage: NO_USAGE, volume: rm.volumes.get(volumeId)!, host: null, drift: null, job }, requested);
    expect(changes.job).toBeUndefined();
    expect(job.status).toBe('succeeded');
  });

  it('keeps the first outcome of a job', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, randomUUID());
    const rm = new ReadModels().apply(v.requested(), v.creationFailed());
    const late = event('VolumeCreated', volumeId, 3, { volumeId, poolId: randomUUID(), backendName: 'b', sizeBytes: 1, path: null }, v.job);
    rm.apply(late);
    expect(rm.jobs.get(v.job)).toMatchObject({ status: 'failed', error: { code: 'backend.no_space' } });
  });

  it('records an event type it does not know in the history only', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), event('StoragePoolRenamed', poolId, 2, { poolId, name: 'slow-01' }));
    expect(rm.pools.get(poolId)?.name).toBe('fast-01');
    expect(rm.history.map((h) => h.type)).toEqual(['StoragePoolAdded', 'StoragePoolRenamed']);
  });

  it('touches no job for an event without a cause', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId, null));
    expect(rm.jobs.size).toBe(0);
    expect(rm.pools.has(poolId)).toBe(true);
  });
});

describe('projection: volume operations', () => {
  const poolId = randomUUID();
  const hostId = randomUUID();
  const otherHost = randomUUID();

  /** A volume created on the pool, then its operations at the next versions, each its own job. */
  function operations(volumeId: string, tenant: string | null = 'acme') {
    const v = volumeEvents(volumeId, poolId, tenant);
    let version = 2;
    const next = (type: string, data: Record<string, unknown>, job: string) => event(type, volumeId, ++version, { volumeId, ...data }, job, tenant);
    return {
      ...v,
      resizeRequested: (fromBytes: number, toBytes: number, job: string) => next('VolumeResizeRequested', { fromBytes, toBytes, allowShrink: false }, job),
      resized: (sizeBytes: number, job: string) => next('VolumeResized', { sizeBytes }, job),
      resizeFailed: (job: string) => next('VolumeResizeFailed', { error: { code: 'backend.no_space', category: 'capacity', message: 'pool full' } }, job),
      attachRequested: (host: string, job: string) => next('VolumeAttachRequested', { hostId: host, backendHost: host }, job),
      attached: (host: string, job: string, devicePath = '/dev/sdb') => next('VolumeAttached', { hostId: host, devicePath }, job),
      attachFailed: (host: string, job: string) => next('VolumeAttachFailed', { hostId: host, error: { code: 'backend.unavailable', category: 'backend', message: 'down' } }, job),
      detachRequested: (host: string, job: string) => next('VolumeDetachRequested', { hostId: host, backendHost: host }, job),
      detached: (host: string, job: string) => next('VolumeDetached', { hostId: host }, job),
      detachFailed: (host: string, job: string) => next('VolumeDetachFailed', { hostId: host, error: { code: 'backend.busy', category: 'backend', message: 'in use' } }, job),
      qosRequested: (qos: Record<string, unknown>, job: string) => next('VolumeQosChangeRequested', { qos }, job),
      qosChanged: (qos: Record<string, unknown>, job: string) => next('VolumeQosChanged', { qos }, job),
      qosFailed: (job: string) => next('VolumeQosChangeFailed', { error: { code: 'volume.qos_unsupported', category: 'illegal_state', message: 'no QoS here' } }, job),
    };
  }

  it('VolumeCreationRequested keeps provisioning, QoS and how allocation chose the pool', () => {
    const volumeId = randomUUID();
    const other = randomUUID();
    const requested = event('VolumeCreationRequested', volumeId, 1, {
      volumeId, name: 'db-1', poolId, sizeBytes: GiB, volumeType: 'ROOT', backendName: `vol-${volumeId}`, provisioning: 'thick',
      qos: { iops: 500, bandwidthBytesPerSecond: null },
      allocation: { policy: 'most-free', candidates: [{ poolId, fits: true, reasons: [] }, { poolId: other, fits: false, reasons: ['pool.disabled'] }] },
    });
    const rm = new ReadModels().apply(poolAdded(poolId), requested);
    expect(rm.volumes.get(volumeId)).toMatchObject({
      volumeType: 'ROOT',
      provisioning: 'thick',
      qos: { iops: 500, bandwidthBytesPerSecond: null, tier: null },
      allocation: { policy: 'most-free', candidates: [{ poolId, fits: true, reasons: [] }, { poolId: other, fits: false, reasons: ['pool.disabled'] }] },
      attachments: [],
    });
  });

  it('an older VolumeCreationRequested means thin, no QoS, no allocation', () => {
    const volumeId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), volumeEvents(volumeId, poolId).requested());
    expect(rm.volumes.get(volumeId)).toMatchObject({ provisioning: 'thin', qos: null, allocation: null, resizeToBytes: null });
  });

  it('a grow is resizing and holds the new size on the pool at once; VolumeResized settles it', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(10 * GiB), o.created(10 * GiB), o.resizeRequested(10 * GiB, 20 * GiB, job));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'resizing', sizeBytes: 10 * GiB, resizeToBytes: 20 * GiB });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 20 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', commandType: 'ResizeVolume', aggregateId: volumeId });

    rm.apply(o.resized(20 * GiB, job));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', sizeBytes: 20 * GiB, resizeToBytes: null, lastError: null });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 20 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { volumeId, sizeBytes: 20 * GiB } });
  });

  it('a failed resize returns the held space and keeps the reason; a shrink frees space when done', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [grow, shrink] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(10 * GiB), o.created(10 * GiB), o.resizeRequested(10 * GiB, 30 * GiB, grow), o.resizeFailed(grow));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', sizeBytes: 10 * GiB, resizeToBytes: null, lastError: { code: 'backend.no_space' } });
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(10 * GiB);
    expect(rm.jobs.get(grow)).toMatchObject({ status: 'failed', error: { code: 'backend.no_space', violations: [] } });

    rm.apply(o.resizeRequested(10 * GiB, 4 * GiB, shrink));
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(10 * GiB);
    rm.apply(o.resized(4 * GiB, shrink));
    expect(rm.pools.get(poolId)?.allocatedBytes).toBe(4 * GiB);
  });

  it('a pool projected after a grow in flight counts the volume at its new size', () => {
    const lonePool = randomUUID();
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, lonePool);
    const rm = new ReadModels().apply(
      v.requested(10 * GiB),
      v.created(10 * GiB),
      event('VolumeResizeRequested', volumeId, 3, { volumeId, fromBytes: 10 * GiB, toBytes: 15 * GiB, allowShrink: false }, randomUUID(), 'acme'),
      poolAdded(lonePool),
    );
    expect(rm.pools.get(lonePool)).toMatchObject({ allocatedBytes: 15 * GiB, volumeCount: 1 });
  });

  it('attaches to hosts (attached), detaches from them (ready again), with device paths and times', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [a1, a2, d1, d2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), o.attachRequested(hostId, a1));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', attachments: [] });
    expect(rm.jobs.get(a1)).toMatchObject({ status: 'running', commandType: 'AttachVolume' });

    const first = o.attached(hostId, a1, '/dev/sdb');
    rm.apply(first, o.attachRequested(otherHost, a2), o.attached(otherHost, a2, '/dev/sdc'));
    expect(rm.volumes.get(volumeId)).toMatchObject({
      status: 'attached',
      attachments: [
        { hostId, devicePath: '/dev/sdb', attachedAt: first.occurredAt.toISOString() },
        { hostId: otherHost, devicePath: '/dev/sdc', attachedAt: expect.any(String) },
      ],
    });
    expect(rm.jobs.get(a1)).toMatchObject({ status: 'succeeded', result: { volumeId, hostId, devicePath: '/dev/sdb' } });

    rm.apply(o.detachRequested(hostId, d1), o.detached(hostId, d1));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'attached', attachments: [{ hostId: otherHost }] });
    rm.apply(o.detachRequested(otherHost, d2), o.detached(otherHost, d2));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', attachments: [] });
    expect(rm.jobs.get(d2)).toMatchObject({ status: 'succeeded', commandType: 'DetachVolume', result: { volumeId, hostId: otherHost } });
    // Attachments take no space: the pool is as before.
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
  });

  it('a resize of an attached volume settles back to attached', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [a, r] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), o.attachRequested(hostId, a), o.attached(hostId, a), o.resizeRequested(10 * GiB, 12 * GiB, r));
    expect(rm.volumes.get(volumeId)?.status).toBe('resizing');
    rm.apply(o.resized(12 * GiB, r));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'attached', attachments: [{ hostId }] });
  });

  it('failed attach and detach keep the attachments as they were, with the reason on the volume and the job', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [a, f, d] = [randomUUID(), randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), o.attachRequested(hostId, a), o.attached(hostId, a));
    rm.apply(o.attachRequested(otherHost, f), o.attachFailed(otherHost, f));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'attached', attachments: [{ hostId }], lastError: { code: 'backend.unavailable' } });
    expect(rm.jobs.get(f)).toMatchObject({ status: 'failed', commandType: 'AttachVolume', error: { code: 'backend.unavailable' } });
    rm.apply(o.detachRequested(hostId, d), o.detachFailed(hostId, d));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'attached', attachments: [{ hostId }], lastError: { code: 'backend.busy' } });
    expect(rm.jobs.get(d)).toMatchObject({ status: 'failed', commandType: 'DetachVolume' });
  });

  it('VolumeQosChanged replaces the limits; all null means none; a failure keeps them', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [q1, q2, q3] = [randomUUID(), randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), o.qosRequested({ iops: 1000, tier: 'gold' }, q1));
    expect(rm.volumes.get(volumeId)?.qos).toBeNull();
    expect(rm.jobs.get(q1)).toMatchObject({ status: 'running', commandType: 'ChangeVolumeQos' });
    rm.apply(o.qosChanged({ iops: 1000, tier: 'gold' }, q1));
    expect(rm.volumes.get(volumeId)?.qos).toEqual({ iops: 1000, bandwidthBytesPerSecond: null, tier: 'gold' });
    expect(rm.jobs.get(q1)).toMatchObject({ status: 'succeeded', result: { volumeId, qos: { iops: 1000, bandwidthBytesPerSecond: null, tier: 'gold' } } });

    rm.apply(o.qosRequested({ iops: 5 }, q2), o.qosFailed(q2));
    expect(rm.volumes.get(volumeId)).toMatchObject({ qos: { iops: 1000, tier: 'gold' }, lastError: { code: 'volume.qos_unsupported' } });
    rm.apply(o.qosRequested({ iops: null, bandwidthBytesPerSecond: null, tier: null }, q3), o.qosChanged({ iops: null, bandwidthBytesPerSecond: null, tier: null }, q3));
    expect(rm.volumes.get(volumeId)).toMatchObject({ qos: null, lastError: null });
  });

  it('every operation event is in the volume history, and targets the volume so the edge finds its pool', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const job = randomUUID();
    const events = [o.resizeRequested(10 * GiB, 11 * GiB, job), o.resized(11 * GiB, job), o.attachRequested(hostId, job), o.attached(hostId, job), o.qosRequested({ iops: 1 }, job)];
    for (const e of events) expect(projectionTargets(e)).toEqual({ poolId: undefined, volumeId, jobId: job });
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), ...events);
    expect(rm.history.filter((h) => h.aggregateId === volumeId).map((h) => h.type)).toEqual([
      'VolumeCreationRequested', 'VolumeCreated', 'VolumeResizeRequested', 'VolumeResized', 'VolumeAttachRequested', 'VolumeAttached', 'VolumeQosChangeRequested',
    ]);
  });

  it('an operation on a volume never projected is history only (its pool is unknown), and still moves its job', () => {
    const volumeId = randomUUID();
    const job = randomUUID();
    const rm = new ReadModels().apply(event('VolumeResized', volumeId, 5, { volumeId, sizeBytes: GiB }, job));
    expect(rm.volumes.has(volumeId)).toBe(false);
    expect(rm.history.map((h) => h.type)).toEqual(['VolumeResized']);
    expect(rm.jobs.get(job)?.status).toBe('succeeded');
  });

  it('deleting an attached volume forgets its attachments', () => {
    const volumeId = randomUUID();
    const o = operations(volumeId);
    const [a, del] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(poolAdded(poolId), o.requested(), o.created(), o.attachRequested(hostId, a), o.attached(hostId, a));
    rm.apply(o.deletionRequested(del, 5), o.deleted(del, 6));
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'deleted', attachments: [], allocated: false });
  });
});

describe('projection: managed volumes', () => {
  it('VolumeManaged starts a ready volume that occupies its pool, completes the job, and leaves the drift orphans', () => {
    const poolId = randomUUID();
    const volumeId = randomUUID();
    const [reconcile, manage] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(
      poolAdded(poolId),
      event('PoolDriftDetected', poolId, 1, { poolId, orphans: [{ backendName: 'legacy-1', sizeBytes: 3 * GiB }, { backendName: 'legacy-2', sizeBytes: GiB }], missing: [] }, reconcile),
      event('VolumeManaged', volumeId, 1, { volumeId, name: 'adopted', poolId, backendName: 'legacy-1', sizeBytes: 3 * GiB, path: '/srv/pool/legacy-1' }, manage, 'acme'),
    );
    expect(rm.volumes.get(volumeId)).toMatchObject({
      name: 'adopted', poolId, status: 'ready', sizeBytes: 3 * GiB, backendName: 'legacy-1', path: '/srv/pool/legacy-1', allocated: true, tenant: 'acme', version: 1,
    });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 3 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(manage)).toMatchObject({ status: 'succeeded', commandType: 'ManageVolume', aggregateId: volumeId, result: { volumeId, poolId, backendName: 'legacy-1', sizeBytes: 3 * GiB } });
    expect(rm.drifts.get(poolId)?.orphans).toEqual([{ backendName: 'legacy-2', sizeBytes: GiB }]);
    expect(rm.history.filter((h) => h.aggregateId === volumeId).map((h) => h.type)).toEqual(['VolumeManaged']);
  });

  it('a managed volume projected before its pool is counted when the pool arrives', () => {
    const poolId = randomUUID();
    const volumeId = randomUUID();
    const rm = new ReadModels().apply(
      event('VolumeManaged', volumeId, 1, { volumeId, name: 'adopted', poolId, backendName: 'x', sizeBytes: 2 * GiB, path: null }),
      poolAdded(poolId),
    );
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 2 * GiB, volumeCount: 1 });
  });
});

describe('projection: deferred creation', () => {
  const hostId = randomUUID();

  /**
   * A volume placed without being made (VolumeAllocated, its CreateVolume job), then what its
   * first attach records, every event caused by the attach: VolumeCreationRequested (the same
   * data, no allocation record), VolumeCreated, then the attach itself.
   */
  function deferred(poolId: string, size = 10 * GiB, tenant: string | null = 'acme') {
    const volumeId = randomUUID();
    const [create, attach] = [randomUUID(), randomUUID()];
    const backendName = `vol-${volumeId}`;
    const placement = { volumeId, name: 'data-1', poolId, sizeBytes: size, volumeType: 'DATA', backendName, provisioning: 'thin', qos: null };
    return {
      volumeId,
      create,
      attach,
      allocated: () =>
        event('VolumeAllocated', volumeId, 1, { ...placement, allocation: { policy: 'first-fit', candidates: [{ poolId, fits: true, reasons: [] }] } }, create, tenant),
      requested: () => event('VolumeCreationRequested', volumeId, 2, { ...placement, allocation: null }, attach, tenant),
      created: () => event('VolumeCreated', volumeId, 3, { volumeId, poolId, backendName, sizeBytes: size, path: `/srv/pool/${backendName}` }, attach, tenant),
      creationFailed: () =>
        event('VolumeCreationFailed', volumeId, 3, { volumeId, poolId, error: { code: 'backend.no_space', category: 'capacity', message: 'no space left' } }, attach, tenant),
      attachRequested: () => event('VolumeAttachRequested', volumeId, 4, { volumeId, hostId, backendHost: hostId }, attach, tenant),
      attached: () => event('VolumeAttached', volumeId, 5, { volumeId, hostId, devicePath: '/dev/sdb' }, attach, tenant),
      attachRejected: () =>
        event(
          'CommandRejected',
          volumeId,
          1,
          {
            commandId: attach,
            commandType: 'AttachVolume',
            aggregateId: volumeId,
            error: { code: 'backend.no_space', category: 'capacity', message: 'no space left' },
            violations: [],
          },
          attach,
          tenant,
        ),
      deletionRequested: (job: string) => event('VolumeDeletionRequested', volumeId, 2, { volumeId, poolId, backendName }, job, tenant),
      deleted: (job: string) => event('VolumeDeleted', volumeId, 3, { volumeId, poolId, sizeBytes: size }, job, tenant),
    };
  }

  /** The job POST /volumes/{id}/attach writes before its command is published. */
  const acceptedAttach = (id: string, volumeId: string): JobRow => ({
    id,
    commandType: 'AttachVolume',
    aggregateId: volumeId,
    tenant: 'acme',
    status: 'accepted',
    result: null,
    error: null,
    createdAt: new Date(clock),
    updatedAt: new Date(clock),
  });

  it('VolumeAllocated inserts the volume allocated (nothing on the backend), counts its bytes once, and completes the CreateVolume job', () => {
    const poolId = randomUUID();
    const d = deferred(poolId);
    const allocated = d.allocated();
    const rm = new ReadModels().apply(poolAdded(poolId), allocated);
    expect(rm.volumes.get(d.volumeId)).toMatchObject({
      status: 'allocated',
      name: 'data-1',
      poolId,
      tenant: 'acme',
      sizeBytes: 10 * GiB,
      backendName: `vol-${d.volumeId}`,
      path: null,
      allocation: { policy: 'first-fit', candidates: [{ poolId, fits: true, reasons: [] }] },
      attachments: [],
      allocated: true,
      version: 1,
      createdAt: allocated.occurredAt,
    });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.jobs.get(d.create)).toMatchObject({
      status: 'succeeded',
      commandType: 'CreateVolume',
      aggregateId: d.volumeId,
      result: { volumeId: d.volumeId, poolId, sizeBytes: 10 * GiB, backendName: `vol-${d.volumeId}`, path: null },
    });
    expect(projectionTargets(allocated)).toEqual({ poolId, volumeId: d.volumeId, jobId: d.create });
    expect(rm.history.map((h) => h.type)).toEqual(['StoragePoolAdded', 'VolumeAllocated']);

    // A redelivery changes nothing.
    rm.apply({ ...allocated, envelope: { ...allocated.envelope, messageId: randomUUID() } });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
  });

  it('the first attach makes it: VolumeCreationRequested and VolumeCreated keep the pool\'s allocated bytes and count unchanged', () => {
    const poolId = randomUUID();
    const d = deferred(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), d.allocated(), d.requested());
    expect(rm.volumes.get(d.volumeId)).toMatchObject({ status: 'creating', sizeBytes: 10 * GiB, allocated: true, version: 2 });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });

    rm.apply(d.created());
    expect(rm.volumes.get(d.volumeId)).toMatchObject({ status: 'ready', path: `/srv/pool/vol-${d.volumeId}`, allocated: true, version: 3 });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });

    rm.apply(d.attachRequested(), d.attached());
    expect(rm.volumes.get(d.volumeId)).toMatchObject({
      status: 'attached',
      attachments: [{ hostId, devicePath: '/dev/sdb' }],
      // The attach's creation request chose no pool: how allocation chose it at placement stays.
      allocation: { policy: 'first-fit', candidates: [{ poolId, fits: true, reasons: [] }] },
    });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.history.filter((h) => h.aggregateId === d.volumeId).map((h) => h.type)).toEqual([
      'VolumeAllocated', 'VolumeCreationRequested', 'VolumeCreated', 'VolumeAttachRequested', 'VolumeAttached',
    ]);
  });

  it('an AttachVolume job is not ended by the VolumeCreated its attach caused; the attach\'s own outcome ends it', () => {
    const poolId = randomUUID();
    const d = deferred(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), d.allocated());
    const createJob = rm.jobs.get(d.create);
    rm.jobs.set(d.attach, acceptedAttach(d.attach, d.volumeId));

    rm.apply(d.requested());
    // The attach is under way (its volume is being made), as the attach's job, not a CreateVolume's.
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'running', commandType: 'AttachVolume', result: null, error: null });
    rm.apply(d.created());
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'running', commandType: 'AttachVolume', result: null, error: null });

    rm.apply(d.attachRequested(), d.attached());
    expect(rm.jobs.get(d.attach)).toMatchObject({
      status: 'succeeded',
      commandType: 'AttachVolume',
      result: { volumeId: d.volumeId, hostId, devicePath: '/dev/sdb' },
    });
    // The placement's job ended at VolumeAllocated and stays as it was.
    expect(rm.jobs.get(d.create)).toEqual(createJob);
  });

  it('an attach published straight to Kafka gets an AttachVolume job from the creation it caused, which VolumeCreated does not end', () => {
    const poolId = randomUUID();
    const d = deferred(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), d.allocated(), d.requested(), d.created());
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'running', commandType: 'AttachVolume', aggregateId: d.volumeId, tenant: 'acme', result: null });
    rm.apply(d.attachRequested(), d.attached());
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'succeeded', commandType: 'AttachVolume', result: { hostId } });
  });

  it('a creation that fails at the first attach is an error that gives the space back; the attach job fails by its rejection, not by VolumeCreationFailed', () => {
    const poolId = randomUUID();
    const d = deferred(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), d.allocated());
    rm.jobs.set(d.attach, acceptedAttach(d.attach, d.volumeId));
    rm.apply(d.requested(), d.creationFailed());
    expect(rm.volumes.get(d.volumeId)).toMatchObject({ status: 'error', allocated: false, lastError: { code: 'backend.no_space' } });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'running', commandType: 'AttachVolume', error: null });

    rm.apply(d.attachRejected());
    expect(rm.jobs.get(d.attach)).toMatchObject({ status: 'failed', commandType: 'AttachVolume', error: { code: 'backend.no_space', violations: [] } });
    expect(rm.jobs.get(d.create)?.status).toBe('succeeded');
  });

  it('an allocated volume can be deleted: its space is given back', () => {
    const poolId = randomUUID();
    const d = deferred(poolId, 4 * GiB);
    const del = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), d.allocated(), d.deletionRequested(del));
    expect(rm.volumes.get(d.volumeId)).toMatchObject({ status: 'deleting', allocated: true });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 4 * GiB, volumeCount: 1 });
    rm.apply(d.deleted(del));
    expect(rm.volumes.get(d.volumeId)).toMatchObject({ status: 'deleted', allocated: false });
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(del)).toMatchObject({ status: 'succeeded', commandType: 'DeleteVolume' });
  });

  it('an allocated volume projected before its pool is counted when the pool arrives, and not again when it is made', () => {
    const poolId = randomUUID();
    const d = deferred(poolId, 3 * GiB);
    const rm = new ReadModels().apply(d.allocated(), poolAdded(poolId));
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 3 * GiB, volumeCount: 1 });
    rm.apply(d.requested(), d.created());
    expect(rm.pools.get(poolId)).toMatchObject({ allocatedBytes: 3 * GiB, volumeCount: 1 });
  });
});

describe('projection: hosts', () => {
  const registered = (hostId: string, job: string | null = randomUUID(), version = 1) =>
    event('HostRegistered', hostId, version, {
      hostId, name: 'kvm-01', zoneId: 'zone-1', clusterId: 'c1', hypervisor: 'kvm', identities: { linstorNode: 'kvm01', storpoolClientId: 7 },
    }, job);

  it('HostRegistered lists the host with its identities and completes the job; HostDeregistered keeps it, deregistered', () => {
    const hostId = randomUUID();
    const [reg, dereg] = [randomUUID(), randomUUID()];
    const first = registered(hostId, reg);
    const rm = new ReadModels().apply(first);
    expect(rm.hosts.get(hostId)).toEqual({
      id: hostId, name: 'kvm-01', zoneId: 'zone-1', clusterId: 'c1', hypervisor: 'kvm', identities: { linstorNode: 'kvm01', storpoolClientId: 7 },
      status: 'registered', version: 1, createdAt: first.occurredAt, updatedAt: first.occurredAt,
    });
    expect(rm.jobs.get(reg)).toMatchObject({ status: 'succeeded', commandType: 'RegisterHost', aggregateId: hostId, result: { hostId } });

    rm.apply(event('HostDeregistered', hostId, 2, { hostId }, dereg));
    expect(rm.hosts.get(hostId)).toMatchObject({ status: 'deregistered', name: 'kvm-01', version: 2 });
    expect(rm.jobs.get(dereg)).toMatchObject({ status: 'succeeded', commandType: 'DeregisterHost', result: { hostId } });
    expect(rm.history.map((h) => [h.aggregateId, h.streamVersion, h.type])).toEqual([
      [hostId, 1, 'HostRegistered'],
      [hostId, 2, 'HostDeregistered'],
    ]);
  });

  it('a host without identities or cluster gets none; a redelivery changes nothing', () => {
    const hostId = randomUUID();
    const e = event('HostRegistered', hostId, 1, { hostId, name: 'h', zoneId: 'z', clusterId: null, hypervisor: 'lxc', identities: {} });
    const rm = new ReadModels().apply(e);
    expect(rm.hosts.get(hostId)).toMatchObject({ clusterId: null, identities: {} });
    expect(projectEvent({ pool: null, poolUsage: NO_USAGE, volume: null, host: rm.hosts.get(hostId)!, drift: null, job: null }, e).host).toBeUndefined();
  });

  it('targets the host; a deregistration of a host never seen is history only', () => {
    const hostId = randomUUID();
    const dereg = event('HostDeregistered', hostId, 2, { hostId });
    expect(projectionTargets(dereg)).toEqual({ hostId, jobId: dereg.causationId });
    const rm = new ReadModels().apply(dereg);
    expect(rm.hosts.size).toBe(0);
    expect(rm.history).toHaveLength(1);
  });
});

describe('projection: pool drift and orphans', () => {
  it('keeps the latest finding per pool: drift with orphans and missing, then clear', () => {
    const poolId = randomUUID();
    const missingVolume = randomUUID();
    const job = randomUUID();
    const detected = event('PoolDriftDetected', poolId, 1, {
      poolId, orphans: [{ backendName: 'stray', sizeBytes: GiB }], missing: [{ volumeId: missingVolume, backendName: `vol-${missingVolume}` }],
    }, job);
    const rm = new ReadModels().apply(poolAdded(poolId, null), detected);
    expect(rm.drifts.get(poolId)).toEqual({
      poolId, state: 'drift', orphans: [{ backendName: 'stray', sizeBytes: GiB }], missing: [{ volumeId: missingVolume, backendName: `vol-${missingVolume}` }],
      detectedAt: detected.occurredAt, removals: [], version: 1, updatedAt: detected.occurredAt,
    });
    expect(rm.jobs.get(job)).toMatchObject({
      status: 'succeeded', commandType: 'ReconcilePool', aggregateId: poolId,
      result: { poolId, orphans: [{ backendName: 'stray', sizeBytes: GiB }], missing: [{ volumeId: missingVolume, backendName: `vol-${missingVolume}` }] },
    });

    const cleared = event('PoolDriftCleared', poolId, 2, { poolId }, null);
    rm.apply(cleared);
    expect(rm.drifts.get(poolId)).toMatchObject({ state: 'clear', orphans: [], missing: [], detectedAt: cleared.occurredAt, version: 2 });
    // A periodic reconciliation (no command) moves no job.
    expect(rm.jobs.size).toBe(1);
  });

  it('drift events are the pool history, apart from the pool stream whose versions they share', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(
      poolAdded(poolId),
      event('PoolDriftDetected', poolId, 1, { poolId, orphans: [], missing: [] }),
      event('StoragePoolDisabled', poolId, 2, { poolId, reason: null }),
      event('PoolDriftCleared', poolId, 2, { poolId }),
    );
    expect(rm.history.map((h) => [h.stream, h.streamVersion, h.type])).toEqual([
      ['', 1, 'StoragePoolAdded'],
      ['drift', 1, 'PoolDriftDetected'],
      ['', 2, 'StoragePoolDisabled'],
      ['drift', 2, 'PoolDriftCleared'],
    ]);
    // The pool's own version is untouched by the drift stream's.
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'disabled', version: 2 });
  });

  it('tracks an orphan removal: requested, then removed (and gone from the orphans) or failed', () => {
    const poolId = randomUUID();
    const [r1, r2] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(
      poolAdded(poolId),
      event('PoolDriftDetected', poolId, 1, { poolId, orphans: [{ backendName: 'a', sizeBytes: 1 }, { backendName: 'b', sizeBytes: 2 }], missing: [] }),
      event('OrphanRemovalRequested', poolId, 2, { poolId, backendName: 'a' }, r1),
    );
    expect(rm.drifts.get(poolId)?.removals).toEqual([{ backendName: 'a', status: 'requested', error: null, updatedAt: expect.any(String) }]);
    expect(rm.jobs.get(r1)).toMatchObject({ status: 'running', commandType: 'RemoveOrphan', aggregateId: poolId });

    rm.apply(event('OrphanRemoved', poolId, 3, { poolId, backendName: 'a' }, r1));
    expect(rm.drifts.get(poolId)).toMatchObject({ orphans: [{ backendName: 'b', sizeBytes: 2 }], removals: [{ backendName: 'a', status: 'removed' }] });
    expect(rm.jobs.get(r1)).toMatchObject({ status: 'succeeded', result: { poolId, backendName: 'a' } });

    rm.apply(event('OrphanRemovalRequested', poolId, 4, { poolId, backendName: 'b' }, r2), event('OrphanRemovalFailed', poolId, 5, { poolId, backendName: 'b', error: { code: 'backend.busy', category: 'backend', message: 'in use' } }, r2));
    expect(rm.drifts.get(poolId)).toMatchObject({
      orphans: [{ backendName: 'b' }],
      removals: [{ backendName: 'a', status: 'removed' }, { backendName: 'b', status: 'failed', error: { code: 'backend.busy', category: 'backend', message: 'in use' } }],
    });
    expect(rm.jobs.get(r2)).toMatchObject({ status: 'failed', error: { code: 'backend.busy', violations: [] } });
  });

  it('targets the pool (for its lock) and its drift record; a redelivery changes nothing', () => {
    const poolId = randomUUID();
    const e = event('PoolDriftDetected', poolId, 1, { poolId, orphans: [], missing: [] }, null);
    expect(projectionTargets(e)).toEqual({ poolId, driftPoolId: poolId, jobId: undefined });
    const rm = new ReadModels().apply(e);
    expect(projectEvent({ pool: null, poolUsage: NO_USAGE, volume: null, host: null, drift: rm.drifts.get(poolId)!, job: null }, e).drift).toBeUndefined();
  });
});

describe('projection: rejections with details', () => {
  it('passes a rejection\'s details into the job error (allocation.no_pool names the candidates)', () => {
    const commandId = randomUUID();
    const volumeId = randomUUID();
    const candidates = [{ poolId: randomUUID(), fits: false, reasons: ['capacity'] }];
    const rm = new ReadModels().apply(event('CommandRejected', volumeId, 1, {
      commandId, commandType: 'CreateVolume', aggregateId: volumeId,
      error: { code: 'allocation.no_pool', category: 'capacity', message: 'no pool fits' }, violations: [], details: { candidates },
    }, commandId));
    expect(rm.jobs.get(commandId)).toMatchObject({ status: 'failed', error: { code: 'allocation.no_pool', violations: [], details: { candidates } } });
  });

  it('leaves details out when the rejection gives none', () => {
    const commandId = randomUUID();
    const rm = new ReadModels().apply(event('CommandRejected', randomUUID(), 1, {
      commandId, commandType: 'DeleteVolume', aggregateId: null, error: { code: 'volume.not_found', category: 'not_found', message: 'x' }, violations: [],
    }, commandId));
    expect(rm.jobs.get(commandId)?.error).not.toHaveProperty('details');
  });
});

describe('projection: volume migration', () => {
  const err = { code: 'backend.unavailable', category: 'backend', message: 'destination unreachable' };

  /** Two pools, a 10 GiB volume created on the first, then its migration events at the next versions. */
  function migration(options: { tenant?: string | null; job?: string } = {}) {
    const tenant = options.tenant === undefined ? 'acme' : options.tenant;
    const [from, to] = [randomUUID(), randomUUID()];
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, from, tenant);
    const job = options.job ?? randomUUID();
    let version = 2;
    const next = (type: string, data: Record<string, unknown>, cause: string | null = job) => event(type, volumeId, ++version, { volumeId, ...data }, cause, tenant);
    return {
      from,
      to,
      volumeId,
      job,
      v,
      setup: () => new ReadModels().apply(poolAdded(from), poolAdded(to), v.requested(10 * GiB), v.created(10 * GiB)),
      requested: (mode: 'native' | 'copy' = 'copy', cause?: string | null) =>
        next('VolumeMigrationRequested', {
          poolId: from, toPoolId: to, mode, sourceBackendName: `vol-${volumeId}`, destinationBackendName: mode === 'copy' ? `vol-${volumeId}-m1` : `vol-${volumeId}`,
          sizeBytes: 10 * GiB, nativeTarget: mode === 'native' ? 'sp-ssd' : null,
          dataMover: mode === 'copy' ? { hostId: randomUUID(), sourceBackendHost: 'n1', destinationBackendHost: 'n1' } : null, allocation: null,
        }, cause),
      progressed: (percent: number, cause?: string | null) =>
        next('VolumeMigrationProgressed', { toPoolId: to, copiedBytes: (percent / 100) * 10 * GiB, totalBytes: 10 * GiB, percent }, cause),
      migrated: (mode: 'native' | 'copy' = 'copy', sizeBytes = 10 * GiB, cause?: string | null) =>
        next('VolumeMigrated', {
          fromPoolId: from, toPoolId: to, mode, sourceBackendName: `vol-${volumeId}`, backendName: `vol-${volumeId}-m1`, sizeBytes, path: `/srv/to/vol-${volumeId}-m1`,
        }, cause),
      failed: (cause?: string | null) => next('VolumeMigrationFailed', { poolId: from, toPoolId: to, error: err }, cause),
      sourceDeleted: (cause?: string | null) => next('VolumeMigrationSourceDeleted', { poolId: from, backendName: `vol-${volumeId}` }, cause),
      sourceDeletionFailed: (cause?: string | null) =>
        next('VolumeMigrationSourceDeletionFailed', { poolId: from, backendName: `vol-${volumeId}`, error: { code: 'backend.busy', category: 'backend', message: 'in use' } }, cause),
      attach: (hostId: string) => {
        const attachJob = randomUUID();
        return [
          next('VolumeAttachRequested', { hostId, backendHost: hostId }, attachJob),
          next('VolumeAttached', { hostId, devicePath: '/dev/sdc' }, attachJob),
        ];
      },
    };
  }

  it('VolumeMigrationRequested makes the volume migrating, with the destination and mode; it stays on its pool and counts there', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested('copy'));
    expect(rm.volumes.get(m.volumeId)).toMatchObject({
      status: 'migrating', poolId: m.from, migrationToPoolId: m.to, migrationMode: 'copy', migrationPercent: null, backendName: `vol-${m.volumeId}`, version: 3,
    });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(m.job)).toMatchObject({ status: 'running', commandType: 'MigrateVolume', aggregateId: m.volumeId, tenant: 'acme' });
  });

  it('VolumeMigrationProgressed shows the copy\'s progress on the volume and moves no job', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested('copy'), m.progressed(30));
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ status: 'migrating', migrationPercent: 30, poolId: m.from });
    rm.apply(m.progressed(70));
    expect(rm.volumes.get(m.volumeId)?.migrationPercent).toBe(70);
    expect(rm.jobs.get(m.job)?.status).toBe('running');
    expect(rm.pools.get(m.from)?.allocatedBytes).toBe(10 * GiB);
  });

  it('VolumeMigrated moves the volume, its size and its allocated bytes to the destination pool, and completes the job', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested('copy'), m.progressed(90));
    const migrated = m.migrated('copy', 12 * GiB);
    rm.apply(migrated);
    expect(rm.volumes.get(m.volumeId)).toMatchObject({
      status: 'ready', poolId: m.to, backendName: `vol-${m.volumeId}-m1`, path: `/srv/to/vol-${m.volumeId}-m1`, sizeBytes: 12 * GiB,
      migrationToPoolId: null, migrationMode: null, migrationPercent: null, lastError: null, allocated: true, version: 5,
    });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 0, volumeCount: 0, updatedAt: migrated.occurredAt });
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 12 * GiB, volumeCount: 1, updatedAt: migrated.occurredAt });
    expect(rm.jobs.get(m.job)).toMatchObject({
      status: 'succeeded',
      commandType: 'MigrateVolume',
      result: { volumeId: m.volumeId, fromPoolId: m.from, toPoolId: m.to, mode: 'copy', backendName: `vol-${m.volumeId}-m1`, sizeBytes: 12 * GiB, path: `/srv/to/vol-${m.volumeId}-m1` },
    });
  });

  it('a native move of an attached volume leaves it attached on the destination', () => {
    const m = migration();
    const hostId = randomUUID();
    const rm = m.setup().apply(...m.attach(hostId), m.requested('native'));
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ status: 'migrating', migrationMode: 'native', attachments: [{ hostId }] });
    rm.apply(m.migrated('native'));
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ status: 'attached', poolId: m.to, attachments: [{ hostId, devicePath: '/dev/sdc' }] });
  });

  it('VolumeMigrated targets both pools (the edge locks them in one order) and is applied once', () => {
    const m = migration();
    const requested = m.requested();
    const migrated = m.migrated();
    expect(projectionTargets(migrated)).toEqual({ poolId: m.to, sourcePoolId: m.from, volumeId: m.volumeId, jobId: m.job });
    const rm = m.setup().apply(requested, migrated);
    rm.apply({ ...migrated, envelope: { ...migrated.envelope, messageId: randomUUID() } });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
  });

  it('the operations after a migration count on the pool the volume moved to', () => {
    const m = migration();
    const resize = randomUUID();
    let version = 4;
    const rm = m.setup().apply(m.requested(), m.migrated());
    rm.apply(
      event('VolumeResizeRequested', m.volumeId, ++version, { volumeId: m.volumeId, fromBytes: 10 * GiB, toBytes: 15 * GiB, allowShrink: false }, resize, 'acme'),
      event('VolumeResized', m.volumeId, ++version, { volumeId: m.volumeId, sizeBytes: 15 * GiB }, resize, 'acme'),
    );
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 15 * GiB, volumeCount: 1 });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
  });

  it('a destination pool projected after the move counts the volume when it arrives', () => {
    const m = migration();
    const rm = new ReadModels().apply(poolAdded(m.from), m.v.requested(10 * GiB), m.v.created(10 * GiB), m.requested(), m.migrated());
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.pools.has(m.to)).toBe(false);
    rm.apply(poolAdded(m.to));
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
  });

  it('VolumeMigrationFailed leaves the volume where it was, settled, with the reason; the job fails', () => {
    const m = migration();
    const hostId = randomUUID();
    const rm = m.setup().apply(...m.attach(hostId), m.requested('native'), m.failed());
    expect(rm.volumes.get(m.volumeId)).toMatchObject({
      status: 'attached', poolId: m.from, backendName: `vol-${m.volumeId}`, migrationToPoolId: null, migrationMode: null, migrationPercent: null, lastError: err,
    });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    expect(rm.jobs.get(m.job)).toMatchObject({ status: 'failed', commandType: 'MigrateVolume', error: { ...err, violations: [] } });
  });

  it('a failed copy of a volume with no host settles it ready', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested('copy'), m.progressed(40), m.failed());
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ status: 'ready', migrationPercent: null, lastError: { code: 'backend.unavailable' } });
  });

  it('VolumeMigrationSourceDeleted and ...DeletionFailed are history only: the volume and the pools stay as they are', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested(), m.migrated());
    const volume = rm.volumes.get(m.volumeId)!;
    const pools = [rm.pools.get(m.from), rm.pools.get(m.to)];
    const [deleted, failed] = [m.sourceDeleted(), m.sourceDeletionFailed()];
    for (const e of [deleted, failed]) expect(projectionTargets(e)).toEqual({ poolId: undefined, volumeId: m.volumeId, jobId: undefined });
    rm.apply(failed);
    expect(rm.volumes.get(m.volumeId)).toEqual({ ...volume, version: 6, updatedAt: failed.occurredAt });
    expect(rm.volumes.get(m.volumeId)?.lastError).toBeNull();
    expect([rm.pools.get(m.from), rm.pools.get(m.to)]).toEqual(pools);
    expect(rm.jobs.get(m.job)?.status).toBe('succeeded');
    expect(rm.history.filter((h) => h.aggregateId === m.volumeId).map((h) => h.type)).toEqual([
      'VolumeCreationRequested', 'VolumeCreated', 'VolumeMigrationRequested', 'VolumeMigrated', 'VolumeMigrationSourceDeletionFailed',
    ]);
    // The old copy's deletion never names the volume's pool, so an unknown volume is not made up on it.
    const fresh = new ReadModels().apply(poolAdded(m.from), deleted);
    expect(fresh.volumes.size).toBe(0);
    expect(fresh.history.filter((h) => h.aggregateId === m.volumeId).map((h) => h.type)).toEqual(['VolumeMigrationSourceDeleted']);
  });

  // The storage service names each move of a maintenance by an id derived from the
  // maintenance and the volume (a name-based UUID, version 5); commands carry version 4.
  it.each([
    ['a name-based (v5) UUID', randomUUID().replace(/^(.{14})4/, '$15')],
    ['a name', 'pool-maintenance:move-1'],
  ])('migrations a pool\'s maintenance started, caused by %s rather than a command, touch no job', (_what, cause) => {
    const m = migration();
    const rm = m.setup();
    const jobsBefore = [...rm.jobs.keys()];
    rm.apply(m.requested('copy', cause), m.progressed(50, cause), m.migrated('copy', 10 * GiB, cause), m.sourceDeleted(cause));
    expect([...rm.jobs.keys()]).toEqual(jobsBefore);
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ status: 'ready', poolId: m.to });
    expect(rm.pools.get(m.to)?.allocatedBytes).toBe(10 * GiB);
  });

  it('a MigrateVolume published straight to Kafka (a v4 command id) still gets its job', () => {
    const m = migration();
    const rm = m.setup().apply(m.requested('native'));
    expect(rm.jobs.get(m.job)).toMatchObject({ status: 'running', commandType: 'MigrateVolume', aggregateId: m.volumeId });
  });

  it('a migration naming another command\'s job (the pool\'s maintenance) leaves that job alone', () => {
    const m = migration();
    const enter = randomUUID();
    const rm = m.setup().apply(event('PoolMaintenanceRequested', m.from, 2, { poolId: m.from, previousStatus: 'enabled', moves: [], dataMoverHostId: null }, enter));
    expect(rm.jobs.get(enter)).toMatchObject({ status: 'running', commandType: 'EnterPoolMaintenance' });
    rm.apply(m.requested('copy', enter), m.migrated('copy', 10 * GiB, enter));
    expect(rm.jobs.get(enter)).toMatchObject({ status: 'running', commandType: 'EnterPoolMaintenance', result: null });
    expect(rm.volumes.get(m.volumeId)?.poolId).toBe(m.to);
  });

  it('a migration of a volume never projected lists it on the pool it reached', () => {
    const m = migration();
    const rm = new ReadModels().apply(poolAdded(m.from), poolAdded(m.to), m.migrated('native', 4 * GiB));
    expect(rm.volumes.get(m.volumeId)).toMatchObject({ poolId: m.to, status: 'ready', sizeBytes: 4 * GiB, backendName: `vol-${m.volumeId}-m1` });
    expect(rm.pools.get(m.to)).toMatchObject({ allocatedBytes: 4 * GiB, volumeCount: 1 });
    expect(rm.pools.get(m.from)).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
  });
});

describe('projection: pool maintenance', () => {
  const err = { code: 'backend.unavailable', category: 'backend', message: 'copy failed' };

  /** A pool added, then its maintenance events at the next versions. */
  function maintenance(poolId: string) {
    let version = 1;
    const next = (type: string, data: Record<string, unknown>, job: string | null = randomUUID()) => event(type, poolId, ++version, { poolId, ...data }, job);
    return {
      disabled: (reason: string, job?: string) => next('StoragePoolDisabled', { reason }, job),
      requested: (previousStatus: 'enabled' | 'disabled', job?: string) =>
        next('PoolMaintenanceRequested', { previousStatus, moves: [{ volumeId: randomUUID(), destinationPoolId: randomUUID(), mode: 'copy' }], dataMoverHostId: null }, job),
      entered: (job?: string | null) => next('PoolMaintenanceEntered', {}, job),
      failed: (volumeId: string | null, job?: string | null) => next('PoolMaintenanceFailed', { volumeId, error: err }, job),
      cancelled: (restoredStatus: 'enabled' | 'disabled', job?: string) => next('PoolMaintenanceCancelled', { restoredStatus }, job),
    };
  }

  it('PoolMaintenanceRequested puts the pool in maintenance, entering; the job runs', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), p.requested('enabled', job));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'maintenance', maintenancePhase: 'entering', maintenanceError: null, version: 2 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', commandType: 'EnterPoolMaintenance', aggregateId: poolId });
    expect(projectionTargets(p.entered())).toMatchObject({ poolId });
  });

  it('PoolMaintenanceEntered: every volume is off, the pool is in_maintenance and the job succeeds', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), p.requested('enabled', job), p.entered(job));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'maintenance', maintenancePhase: 'in_maintenance', maintenanceError: null, version: 3 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'EnterPoolMaintenance', result: { poolId } });
  });

  it('PoolMaintenanceFailed keeps the pool in maintenance, failed, with the reason and the volume; the job fails', () => {
    const poolId = randomUUID();
    const volumeId = randomUUID();
    const p = maintenance(poolId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), p.requested('enabled', job), p.failed(volumeId, job));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'maintenance', maintenancePhase: 'failed', maintenanceError: { ...err, volumeId } });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'failed', commandType: 'EnterPoolMaintenance', error: { ...err, violations: [], details: { poolId, volumeId } } });
  });

  it('a failure that is no one volume\'s names none', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), p.requested('enabled'), p.failed(null));
    expect(rm.pools.get(poolId)?.maintenanceError).toEqual({ ...err, volumeId: null });
  });

  it('PoolMaintenanceCancelled restores the status the pool had and clears the phase and error; the cancel job succeeds', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const cancel = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), p.requested('enabled'), p.failed(randomUUID()), p.cancelled('enabled', cancel));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'enabled', disabledReason: null, maintenancePhase: null, maintenanceError: null, version: 4 });
    expect(rm.jobs.get(cancel)).toMatchObject({ status: 'succeeded', commandType: 'CancelPoolMaintenance', result: { poolId, restoredStatus: 'enabled' } });
  });

  it('a pool disabled before its maintenance is disabled again after, with its reason', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), p.disabled('old disks'), p.requested('disabled'), p.entered(), p.cancelled('disabled'));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'disabled', disabledReason: 'old disks', maintenancePhase: null });
  });

  it('keeps the volumes counted through maintenance, and maintenance through volume events', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const v = volumeEvents(randomUUID(), poolId);
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(3 * GiB), p.requested('enabled'), v.created(3 * GiB));
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'maintenance', maintenancePhase: 'entering', allocatedBytes: 3 * GiB, volumeCount: 1 });
  });

  it('a maintenance event is applied once: a redelivery or an older version changes nothing', () => {
    const poolId = randomUUID();
    const p = maintenance(poolId);
    const requested = p.requested('enabled');
    const entered = p.entered();
    const rm = new ReadModels().apply(poolAdded(poolId), requested, entered);
    const pool = rm.pools.get(poolId)!;
    expect(projectEvent({ pool, poolUsage: NO_USAGE, volume: null, host: null, drift: null, job: null }, requested).pool).toBeUndefined();
    expect(rm.pools.get(poolId)?.maintenancePhase).toBe('in_maintenance');
  });

  it('a refused maintenance fails its job with the volumes that cannot move', () => {
    const poolId = randomUUID();
    const commandId = randomUUID();
    const volumes = [{ volumeId: randomUUID(), reasons: ['volume.attached: a copy needs the volume detached'] }];
    const rm = new ReadModels().apply(poolAdded(poolId), event('CommandRejected', poolId, 1, {
      commandId, commandType: 'EnterPoolMaintenance', aggregateId: poolId,
      error: { code: 'pool.maintenance_blocked', category: 'illegal_state', message: '1 volume cannot move' }, violations: [], details: { poolId, volumes },
    }, commandId));
    expect(rm.jobs.get(commandId)).toMatchObject({ status: 'failed', commandType: 'EnterPoolMaintenance', error: { details: { poolId, volumes } } });
    expect(rm.pools.get(poolId)).toMatchObject({ status: 'enabled', maintenancePhase: null });
  });
});

describe('projection: snapshots', () => {
  const backendError = { code: 'backend.busy', category: 'backend', message: 'volume busy' };

  /** One snapshot's stream, as the snapshot service publishes it on the snapshot events topic. */
  function snapshotEvents(tenant: string | null = 'acme') {
    const snapshotId = randomUUID();
    const volumeId = randomUUID();
    const poolId = randomUUID();
    const createJob = randomUUID();
    const ids = { snapshotId, volumeId };
    const e = (type: string, version: number, data: Record<string, unknown>, job: string | null) => event(type, snapshotId, version, { ...ids, ...data }, job, tenant);
    return {
      ...ids,
      poolId,
      createJob,
      requested: (over: Record<string, unknown> = {}) =>
        e('SnapshotRequested', 1, { name: 'before-upgrade', poolId, volumeBackendName: `vol-${volumeId}`, backendName: `snap-${snapshotId}`, policyId: null, dueAt: null, ...over }, createJob),
      created: (sizeBytes = 10 * GiB) => e('SnapshotCreated', 2, { sizeBytes }, createJob),
      creationFailed: () => e('SnapshotCreationFailed', 2, { error: backendError }, createJob),
      deletionRequested: (job: string, version = 3) => e('SnapshotDeletionRequested', version, {}, job),
      deleted: (job: string, version = 4) => e('SnapshotDeleted', version, {}, job),
      deletionFailed: (job: string, version = 4) => e('SnapshotDeletionFailed', version, { error: backendError }, job),
      revertRequested: (job: string, version = 3) => e('SnapshotRevertRequested', version, {}, job),
      reverted: (job: string, version = 4) => e('SnapshotReverted', version, {}, job),
      revertFailed: (job: string, version = 4) => e('SnapshotRevertFailed', version, { error: backendError }, job),
    };
  }

  it('SnapshotRequested lists the snapshot creating, with its volume, pool and backend name; the CreateSnapshot job runs', () => {
    const s = snapshotEvents();
    const requested = s.requested();
    const rm = new ReadModels().apply(requested);
    expect(rm.snapshots.get(s.snapshotId)).toEqual({
      id: s.snapshotId,
      volumeId: s.volumeId,
      name: 'before-upgrade',
      poolId: s.poolId,
      tenant: 'acme',
      backendName: `snap-${s.snapshotId}`,
      volumeBackendName: `vol-${s.volumeId}`,
      status: 'creating',
      sizeBytes: null,
      backup: false,
      policyId: null,
      dueAt: null,
      lastError: null,
      version: 1,
      createdAt: requested.occurredAt,
      updatedAt: requested.occurredAt,
    });
    expect(rm.jobs.get(s.createJob)).toMatchObject({ status: 'running', commandType: 'CreateSnapshot', aggregateId: s.snapshotId, tenant: 'acme' });
  });

  it('SnapshotCreated makes it ready with its size and ends the job with the snapshot as its result', () => {
    const s = snapshotEvents();
    const rm = new ReadModels().apply(s.requested(), s.created(3 * GiB));
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'ready', sizeBytes: 3 * GiB, lastError: null, version: 2 });
    expect(rm.jobs.get(s.createJob)).toMatchObject({
      status: 'succeeded',
      commandType: 'CreateSnapshot',
      result: { snapshotId: s.snapshotId, volumeId: s.volumeId, sizeBytes: 3 * GiB },
      error: null,
    });
  });

  it('SnapshotCreationFailed is an error with the reason, on the snapshot and the failed job', () => {
    const s = snapshotEvents();
    const rm = new ReadModels().apply(s.requested(), s.creationFailed());
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'error', sizeBytes: null, lastError: backendError });
    expect(rm.jobs.get(s.createJob)).toMatchObject({
      status: 'failed',
      error: { ...backendError, violations: [], details: { snapshotId: s.snapshotId, volumeId: s.volumeId } },
    });
  });

  it('a deletion goes deleting, then deleted; a failed one is an error that may be deleted again', () => {
    const s = snapshotEvents();
    const [first, second] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(s.requested(), s.created(), s.deletionRequested(first));
    expect(rm.snapshots.get(s.snapshotId)?.status).toBe('deleting');
    expect(rm.jobs.get(first)).toMatchObject({ status: 'running', commandType: 'DeleteSnapshot' });
    rm.apply(s.deletionFailed(first));
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'error', lastError: backendError, sizeBytes: 10 * GiB });
    expect(rm.jobs.get(first)).toMatchObject({ status: 'failed', error: { code: 'backend.busy' } });
    rm.apply(s.deletionRequested(second, 5), s.deleted(second, 6));
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'deleted', lastError: null, version: 6 });
    expect(rm.jobs.get(second)).toMatchObject({ status: 'succeeded', result: { snapshotId: s.snapshotId, volumeId: s.volumeId } });
  });

  it('a revert is reverting, then ready; a failed one is ready again with the reason', () => {
    const s = snapshotEvents();
    const [first, second] = [randomUUID(), randomUUID()];
    const rm = new ReadModels().apply(s.requested(), s.created(), s.revertRequested(first));
    expect(rm.snapshots.get(s.snapshotId)?.status).toBe('reverting');
    expect(rm.jobs.get(first)).toMatchObject({ status: 'running', commandType: 'RevertToSnapshot' });
    rm.apply(s.revertFailed(first));
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'ready', lastError: backendError });
    expect(rm.jobs.get(first)).toMatchObject({ status: 'failed', error: { code: 'backend.busy', details: { snapshotId: s.snapshotId } } });
    rm.apply(s.revertRequested(second, 5), s.reverted(second, 6));
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ status: 'ready', lastError: null, version: 6 });
    expect(rm.jobs.get(second)).toMatchObject({ status: 'succeeded', result: { snapshotId: s.snapshotId, volumeId: s.volumeId } });
  });

  it("a policy's snapshot keeps its policy and due time, and is no one's job (its cause is no command id)", () => {
    const s = snapshotEvents(null);
    const policyId = randomUUID();
    const dueAt = '2026-11-21T06:00:00.000Z';
    const fromPolicy = event(
      'SnapshotRequested',
      s.snapshotId,
      1,
      { snapshotId: s.snapshotId, volumeId: s.volumeId, name: 'auto-1', poolId: s.poolId, volumeBackendName: 'v', backendName: 'b', policyId, dueAt },
      `policy-run:${policyId}:${dueAt}`,
      null,
    );
    const rm = new ReadModels().apply(fromPolicy);
    expect(rm.snapshots.get(s.snapshotId)).toMatchObject({ policyId, dueAt: new Date(dueAt), tenant: null, status: 'creating' });
    expect(rm.jobs.size).toBe(0);
  });

  it('applies a snapshot event once: a redelivery or an older version changes nothing', () => {
    const s = snapshotEvents();
    const created = s.created();
    const rm = new ReadModels().apply(s.requested(), created);
    const before = rm.snapshots.get(s.snapshotId)!;
    const again = projectEvent({ pool: null, poolUsage: NO_USAGE, volume: null, host: null, drift: null, snapshot: before, job: null }, created);
    expect(again.snapshot).toBeUndefined();
    rm.apply(s.requested());
    expect(rm.snapshots.get(s.snapshotId)).toEqual(before);
  });

  it('an event of a snapshot never seen requested is history only, and still moves its job', () => {
    const s = snapshotEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(s.deleted(job));
    expect(rm.snapshots.size).toBe(0);
    expect(rm.history.map((h) => [h.aggregateId, h.type])).toEqual([[s.snapshotId, 'SnapshotDeleted']]);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'DeleteSnapshot' });
  });

  it('targets only the snapshot and its job: no pool or volume row, so no pool lock', () => {
    const s = snapshotEvents();
    const requested = s.requested();
    expect(projectionTargets(requested)).toEqual({ snapshotId: s.snapshotId, jobId: s.createJob });
    const rm = new ReadModels().apply(requested, s.created());
    expect(rm.pools.size).toBe(0);
    expect(rm.volumes.size).toBe(0);
  });

  it("every snapshot event is the snapshot's history, in stream order", () => {
    const s = snapshotEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(s.requested(), s.created(), s.revertRequested(job), s.reverted(job));
    expect(rm.history.filter((h) => h.aggregateId === s.snapshotId).map((h) => [h.stream, h.streamVersion, h.type])).toEqual([
      ['', 1, 'SnapshotRequested'],
      ['', 2, 'SnapshotCreated'],
      ['', 3, 'SnapshotRevertRequested'],
      ['', 4, 'SnapshotReverted'],
    ]);
  });

  it('a CommandRejected from the snapshot events topic fails the snapshot command\'s job, and lists no snapshot', () => {
    const commandId = randomUUID();
    const snapshotId = randomUUID();
    const rejected = event(
      'CommandRejected',
      snapshotId,
      1,
      {
        commandId,
        commandType: 'CreateSnapshot',
        aggregateId: snapshotId,
        error: { code: 'snapshot.unsupported', category: 'illegal_state', message: 'the backend takes no snapshots' },
        violations: [],
        details: { volumeId: 'v-1' },
      },
      commandId,
      'acme',
    );
    const rm = new ReadModels().apply(rejected);
    expect(rm.jobs.get(commandId)).toMatchObject({
      status: 'failed',
      commandType: 'CreateSnapshot',
      aggregateId: snapshotId,
      error: { code: 'snapshot.unsupported', violations: [], details: { volumeId: 'v-1' } },
    });
    expect(rm.snapshots.size).toBe(0);
    expect(rm.history).toHaveLength(0);
  });

  it("a policy event of a type this version does not know is history only", () => {
    const policyId = randomUUID();
    const rm = new ReadModels().apply(event('SnapshotPolicyPaused', policyId, 2, { policyId }, randomUUID()));
    expect(rm.policies.size).toBe(0);
    expect(rm.jobs.size).toBe(0);
    expect(rm.history.map((h) => h.type)).toEqual(['SnapshotPolicyPaused']);
  });
});

describe('projection: snapshot policies', () => {
  const schedule = { kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' };

  /** One policy's stream, as the snapshot service publishes it on the snapshot events topic. */
  function policyEvents(tenant: string | null = 'acme') {
    const policyId = randomUUID();
    const volumeId = randomUUID();
    const createJob = randomUUID();
    const ids = { policyId, volumeId };
    return {
      ...ids,
      createJob,
      created: (over: Record<string, unknown> = {}) =>
        event('SnapshotPolicyCreated', policyId, 1, { ...ids, schedule, retention: 7, createdAt: '2026-11-21T07:00:00.000Z', ...over }, createJob, tenant),
      // The scheduler's own work: caused by the policy, no command, no tenant.
      runTaken: (version: number, dueAt: string, snapshotId = randomUUID()) =>
        event('SnapshotPolicyRunTaken', policyId, version, { ...ids, dueAt, snapshotId }, `policy:${policyId}`, null),
      deleted: (version: number, job: string | null, by: string | null = tenant) => event('SnapshotPolicyDeleted', policyId, version, ids, job, by),
    };
  }

  it('given nothing, when SnapshotPolicyCreated, then the policy is active with its schedule and retention, and the CreateSnapshotPolicy job succeeds', () => {
    const p = policyEvents();
    const created = p.created();
    const rm = new ReadModels().apply(created);
    expect(rm.policies.get(p.policyId)).toEqual({
      id: p.policyId,
      volumeId: p.volumeId,
      tenant: 'acme',
      schedule,
      retention: 7,
      status: 'active',
      lastRunDueAt: null,
      lastSnapshotId: null,
      version: 1,
      createdAt: new Date('2026-11-21T07:00:00.000Z'),
      updatedAt: created.occurredAt,
    });
    expect(rm.jobs.get(p.createJob)).toMatchObject({
      status: 'succeeded',
      commandType: 'CreateSnapshotPolicy',
      aggregateId: p.policyId,
      tenant: 'acme',
      result: { policyId: p.policyId, volumeId: p.volumeId },
      error: null,
    });
  });

  it('keeps only the known fields of each schedule shape', () => {
    for (const shape of [
      { kind: 'hourly', minute: 15, timeZone: 'UTC' },
      { kind: 'weekly', dayOfWeek: 0, time: '23:00', timeZone: 'America/New_York' },
      { kind: 'monthly', dayOfMonth: 31, time: '01:00', timeZone: 'Europe/Berlin' },
    ]) {
      const p = policyEvents();
      const rm = new ReadModels().apply(p.created({ schedule: { ...shape, note: 'x' } }));
      expect(rm.policies.get(p.policyId)?.schedule).toEqual(shape);
    }
  });

  it('given a policy, when SnapshotPolicyRunTaken, then it shows the run and its snapshot, keeps its tenant, and moves no job', () => {
    const p = policyEvents();
    const snapshotId = randomUUID();
    const rm = new ReadModels().apply(p.created(), p.runTaken(2, '2026-11-22T01:30:00.000Z', snapshotId));
    expect(rm.policies.get(p.policyId)).toMatchObject({
      status: 'active',
      tenant: 'acme',
      lastRunDueAt: new Date('2026-11-22T01:30:00.000Z'),
      lastSnapshotId: snapshotId,
      version: 2,
    });
    expect([...rm.jobs.keys()]).toEqual([p.createJob]);
    rm.apply(p.runTaken(3, '2026-11-23T01:30:00.000Z'));
    expect(rm.policies.get(p.policyId)?.lastRunDueAt).toEqual(new Date('2026-11-23T01:30:00.000Z'));
  });

  it('given a policy, when SnapshotPolicyDeleted, then it is deleted with its last run kept, and the DeleteSnapshotPolicy job succeeds', () => {
    const p = policyEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(p.created(), p.runTaken(2, '2026-11-22T01:30:00.000Z'), p.deleted(3, job, null));
    expect(rm.policies.get(p.policyId)).toMatchObject({ status: 'deleted', tenant: 'acme', lastRunDueAt: new Date('2026-11-22T01:30:00.000Z'), version: 3 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'DeleteSnapshotPolicy', aggregateId: p.policyId, result: { policyId: p.policyId, volumeId: p.volumeId } });
  });

  it('a policy the snapshot service ends itself (its volume is gone) is deleted and makes no job', () => {
    const p = policyEvents();
    const rm = new ReadModels().apply(p.created(), p.deleted(2, `policy:${p.policyId}`, null));
    expect(rm.policies.get(p.policyId)?.status).toBe('deleted');
    expect([...rm.jobs.keys()]).toEqual([p.createJob]);
  });

  it('applies a policy event once: a redelivery or an older version changes nothing', () => {
    const p = policyEvents();
    const run = p.runTaken(2, '2026-11-22T01:30:00.000Z');
    const rm = new ReadModels().apply(p.created(), run);
    const before = rm.policies.get(p.policyId)!;
    expect(projectEvent({ pool: null, poolUsage: NO_USAGE, volume: null, host: null, drift: null, policy: before, job: null }, run).policy).toBeUndefined();
    rm.apply(p.created(), run);
    expect(rm.policies.get(p.policyId)).toEqual(before);
  });

  it('an event of a policy never seen created is history only, and still moves its job', () => {
    const p = policyEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(p.deleted(2, job));
    expect(rm.policies.size).toBe(0);
    expect(rm.history.map((h) => [h.aggregateId, h.type])).toEqual([[p.policyId, 'SnapshotPolicyDeleted']]);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'DeleteSnapshotPolicy' });
  });

  it("targets only the policy and its job, and every policy event is the policy's history", () => {
    const p = policyEvents();
    const created = p.created();
    expect(projectionTargets(created)).toEqual({ policyId: p.policyId, jobId: p.createJob });
    expect(projectionTargets(p.runTaken(2, '2026-11-22T01:30:00.000Z'))).toEqual({ policyId: p.policyId, jobId: undefined });
    const job = randomUUID();
    const rm = new ReadModels().apply(created, p.runTaken(2, '2026-11-22T01:30:00.000Z'), p.deleted(3, job));
    expect(rm.pools.size + rm.volumes.size + rm.snapshots.size).toBe(0);
    expect(rm.history.map((h) => [h.stream, h.streamVersion, h.type])).toEqual([
      ['', 1, 'SnapshotPolicyCreated'],
      ['', 2, 'SnapshotPolicyRunTaken'],
      ['', 3, 'SnapshotPolicyDeleted'],
    ]);
  });

  it('a rejected CreateSnapshotPolicy fails its job with the schedule violations, and lists no policy', () => {
    const commandId = randomUUID();
    const policyId = randomUUID();
    const violations = [{ field: 'data.schedule.time', rule: 'matches', message: 'data.schedule.time must be HH:MM' }];
    const rm = new ReadModels().apply(
      event(
        'CommandRejected',
        policyId,
        1,
        {
          commandId,
          commandType: 'CreateSnapshotPolicy',
          aggregateId: policyId,
          error: { code: 'policy.invalid_schedule', category: 'validation', message: 'invalid snapshot policy' },
          violations,
        },
        commandId,
        'acme',
      ),
    );
    expect(rm.jobs.get(commandId)).toMatchObject({ status: 'failed', commandType: 'CreateSnapshotPolicy', error: { code: 'policy.invalid_schedule', violations } });
    expect(rm.policies.size).toBe(0);
  });
});

describe('projection: VM snapshots', () => {
  const backendError = { code: 'backend.busy', category: 'backend', message: 'group busy' };

  /** One VM snapshot's stream, as the snapshot service publishes it on the snapshot events topic. */
  function vmSnapshotEvents(tenant: string | null = 'acme') {
    const vmSnapshotId = randomUUID();
    const vmId = 'vm-4711';
    const volumes = [randomUUID(), randomUUID()];
    const poolId = randomUUID();
    const createJob = randomUUID();
    const ids = { vmSnapshotId, vmId };
    const e = (type: string, version: number, data: Record<string, unknown>, job: string | null) => event(type, vmSnapshotId, version, { ...ids, ...data }, job, tenant);
    const members = volumes.map((volumeId) => ({ volumeId, poolId, volumeBackendName: `vol-${volumeId}`, snapshotBackendName: `vol-${volumeId}@grp` }));
    return {
      ...ids,
      volumes,
      poolId,
      createJob,
      requested: () => e('VmSnapshotRequested', 1, { name: 'before-upgrade', groupName: `grp-${vmSnapshotId}`, members }, createJob),
      created: () =>
        e('VmSnapshotCreated', 2, { members: volumes.map((volumeId, i) => ({ volumeId, snapshotBackendName: `vol-${volumeId}@grp`, sizeBytes: (i + 1) * GiB })) }, createJob),
      creationFailed: () => e('VmSnapshotCreationFailed', 2, { error: backendError }, createJob),
      deletionRequested: (job: string, version = 3) => e('VmSnapshotDeletionRequested', version, {}, job),
      deleted: (job: string, version = 4) => e('VmSnapshotDeleted', version, {}, job),
      deletionFailed: (job: string, version = 4) => e('VmSnapshotDeletionFailed', version, { error: backendError }, job),
      revertRequested: (job: string, version = 3) => e('VmSnapshotRevertRequested', version, {}, job),
      reverted: (job: string, version = 4) => e('VmSnapshotReverted', version, {}, job),
      revertFailed: (job: string, version = 4) => e('VmSnapshotRevertFailed', version, { error: backendError }, job),
    };
  }

  it('VmSnapshotRequested lists the VM snapshot creating, with its VM and members; the CreateVmSnapshot job runs', () => {
    const s = vmSnapshotEvents();
    const requested = s.requested();
    const rm = new ReadModels().apply(requested);
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toEqual({
      id: s.vmSnapshotId,
      vmId: 'vm-4711',
      name: 'before-upgrade',
      tenant: 'acme',
      status: 'creating',
      members: s.volumes.map((volumeId) => ({ volumeId, poolId: s.poolId, volumeBackendName: `vol-${volumeId}`, snapshotBackendName: `vol-${volumeId}@grp`, sizeBytes: null })),
      lastError: null,
      version: 1,
      createdAt: requested.occurredAt,
      updatedAt: requested.occurredAt,
    });
    expect(rm.jobs.get(s.createJob)).toMatchObject({ status: 'running', commandType: 'CreateVmSnapshot', aggregateId: s.vmSnapshotId, tenant: 'acme' });
  });

  it("VmSnapshotCreated makes it ready with each member's size and ends the job with the members as its result", () => {
    const s = vmSnapshotEvents();
    const rm = new ReadModels().apply(s.requested(), s.created());
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'ready', lastError: null, version: 2 });
    expect(rm.vmSnapshots.get(s.vmSnapshotId)!.members.map((m) => [m.volumeId, m.sizeBytes])).toEqual([
      [s.volumes[0], GiB],
      [s.volumes[1], 2 * GiB],
    ]);
    expect(rm.jobs.get(s.createJob)).toMatchObject({
      status: 'succeeded',
      result: {
        vmSnapshotId: s.vmSnapshotId,
        vmId: 'vm-4711',
        members: s.volumes.map((volumeId, i) => ({ volumeId, snapshotBackendName: `vol-${volumeId}@grp`, sizeBytes: (i + 1) * GiB })),
      },
    });
  });

  it('VmSnapshotCreationFailed is an error with the reason, on the VM snapshot and the failed job', () => {
    const s = vmSnapshotEvents();
    const rm = new ReadModels().apply(s.requested(), s.creationFailed());
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'error', lastError: backendError });
    expect(rm.jobs.get(s.createJob)).toMatchObject({
      status: 'failed',
      error: { ...backendError, violations: [], details: { vmSnapshotId: s.vmSnapshotId, vmId: 'vm-4711' } },
    });
  });

  it('a deletion goes deleting, then deleted; a failed one is an error that may be deleted again', () => {
    const s = vmSnapshotEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(s.requested(), s.created(), s.deletionRequested(job));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)?.status).toBe('deleting');
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', commandType: 'DeleteVmSnapshot' });
    rm.apply(s.deletionFailed(job));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'error', lastError: backendError });
    expect(rm.jobs.get(job)?.status).toBe('failed');
    const again = randomUUID();
    rm.apply(s.deletionRequested(again, 5), s.deleted(again, 6));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'deleted', lastError: null, version: 6 });
    expect(rm.jobs.get(again)).toMatchObject({ status: 'succeeded', commandType: 'DeleteVmSnapshot', result: { vmSnapshotId: s.vmSnapshotId, vmId: 'vm-4711' } });
  });

  it('a revert is reverting, then ready; a failed one is ready again with the reason', () => {
    const s = vmSnapshotEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(s.requested(), s.created(), s.revertRequested(job));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)?.status).toBe('reverting');
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', commandType: 'RevertToVmSnapshot' });
    rm.apply(s.reverted(job));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'ready', lastError: null });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { vmSnapshotId: s.vmSnapshotId, vmId: 'vm-4711' } });
    const failing = randomUUID();
    rm.apply(s.revertRequested(failing, 5), s.revertFailed(failing, 6));
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toMatchObject({ status: 'ready', lastError: backendError });
    expect(rm.jobs.get(failing)).toMatchObject({ status: 'failed', commandType: 'RevertToVmSnapshot', error: { code: 'backend.busy' } });
  });

  it('applies a VM snapshot event once: a redelivery or an older version changes nothing', () => {
    const s = vmSnapshotEvents();
    const created = s.created();
    const rm = new ReadModels().apply(s.requested(), created);
    const before = rm.vmSnapshots.get(s.vmSnapshotId)!;
    const again = projectEvent({ pool: null, poolUsage: NO_USAGE, volume: null, host: null, drift: null, vmSnapshot: before, job: null }, created);
    expect(again.vmSnapshot).toBeUndefined();
    rm.apply(s.requested());
    expect(rm.vmSnapshots.get(s.vmSnapshotId)).toEqual(before);
  });

  it('an event of a VM snapshot never seen requested is history only, and still moves its job', () => {
    const s = vmSnapshotEvents();
    const job = randomUUID();
    const rm = new ReadModels().apply(s.deleted(job));
    expect(rm.vmSnapshots.size).toBe(0);
    expect(rm.history.map((h) => [h.aggregateId, h.type])).toEqual([[s.vmSnapshotId, 'VmSnapshotDeleted']]);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'DeleteVmSnapshot' });
  });

  it("targets only the VM snapshot and its job, and every event is the VM snapshot's history, in stream order", () => {
    const s = vmSnapshotEvents();
    const requested = s.requested();
    expect(projectionTargets(requested)).toEqual({ vmSnapshotId: s.vmSnapshotId, jobId: s.createJob });
    const job = randomUUID();
    const rm = new ReadModels().apply(requested, s.created(), s.revertRequested(job), s.reverted(job));
    expect(rm.pools.size + rm.volumes.size + rm.snapshots.size).toBe(0);
    expect(rm.history.map((h) => [h.stream, h.streamVersion, h.type])).toEqual([
      ['', 1, 'VmSnapshotRequested'],
      ['', 2, 'VmSnapshotCreated'],
      ['', 3, 'VmSnapshotRevertRequested'],
      ['', 4, 'VmSnapshotReverted'],
    ]);
  });

  it('a rejected CreateVmSnapshot fails its job with the reason (vmsnapshot.mixed_backends), and lists no VM snapshot', () => {
    const commandId = randomUUID();
    const vmSnapshotId = randomUUID();
    const rm = new ReadModels().apply(
      event(
        'CommandRejected',
        vmSnapshotId,
        1,
        {
          commandId,
          commandType: 'CreateVmSnapshot',
          aggregateId: vmSnapshotId,
          error: { code: 'vmsnapshot.mixed_backends', category: 'illegal_state', message: 'the volumes are on different backends' },
          violations: [],
        },
        commandId,
        'acme',
      ),
    );
    expect(rm.jobs.get(commandId)).toMatchObject({ status: 'failed', commandType: 'CreateVmSnapshot', error: { code: 'vmsnapshot.mixed_backends' } });
    expect(rm.vmSnapshots.size).toBe(0);
  });

  it('dead-letters a VmSnapshotRequested without members', () => {
    const read = readEvent({
      messageId: randomUUID(), kind: 'event', type: 'VmSnapshotRequested', schemaVersion: 1, aggregateId: randomUUID(), streamVersion: 1,
      occurredAt: new Date().toISOString(), correlationId: 'c', causationId: null, tenant: null, data: { vmSnapshotId: randomUUID(), vmId: 'vm-1', name: 'x' },
    });
    expect(read).toEqual({ ok: false, reason: expect.stringContaining('data.members must be') });
  });
});

describe('projection: volumes made from snapshots, and the snapshot backup setting', () => {
  const poolId = randomUUID();

  it('VolumeCreationRequested with a source keeps the snapshot and its volume on the volume; a plain one has none', () => {
    const volumeId = randomUUID();
    const source = { snapshotId: randomUUID(), volumeId: randomUUID(), sourceVolumeBackendName: 'vol-src', snapshotBackendName: 'vol-src@snap' };
    const job = randomUUID();
    const rm = new ReadModels().apply(
      poolAdded(poolId),
      event('VolumeCreationRequested', volumeId, 1, { volumeId, name: 'restored', poolId, sizeBytes: 4 * GiB, volumeType: 'DATA', backendName: `vol-${volumeId}`, source }, job, 'acme'),
      event('VolumeCreated', volumeId, 2, { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: 4 * GiB, path: `/srv/pool/vol-${volumeId}` }, job, 'acme'),
    );
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', source: { snapshotId: source.snapshotId, volumeId: source.volumeId }, backupSnapshots: false });
    expect(rm.volumes.get(volumeId)!.source).toEqual({ snapshotId: source.snapshotId, volumeId: source.volumeId });
    const plain = randomUUID();
    rm.apply(volumeEvents(plain, poolId).requested());
    expect(rm.volumes.get(plain)).toMatchObject({ source: null, backupSnapshots: false, backupSnapshotsVersion: 0 });
  });

  it('dead-letters a source that does not name the snapshot and its volume', () => {
    const volumeId = randomUUID();
    const read = readEvent({
      messageId: randomUUID(), kind: 'event', type: 'VolumeCreationRequested', schemaVersion: 1, aggregateId: volumeId, streamVersion: 1,
      occurredAt: new Date().toISOString(), correlationId: 'c', causationId: null, tenant: null,
      data: { volumeId, name: 'x', poolId, sizeBytes: 1, volumeType: 'DATA', backendName: 'b', source: { snapshotId: 'nope' } },
    });
    expect(read).toEqual({ ok: false, reason: expect.stringContaining('data.source must be') });
  });

  it('SnapshotBackupSet sets the volume\'s backupSnapshots by its own stream\'s versions, and ends the SetSnapshotBackup job', () => {
    const volumeId = randomUUID();
    const v = volumeEvents(volumeId, poolId);
    const job = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId), v.requested(), v.created());
    const set = event('SnapshotBackupSet', volumeId, 1, { volumeId, backupSnapshots: true }, job, 'acme');
    expect(projectionTargets(set)).toEqual({ volumeId, jobId: job });
    rm.apply(set);
    // The volume's own version (2) is not the settings stream's (1).
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', backupSnapshots: true, backupSnapshotsVersion: 1, version: 2 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', commandType: 'SetSnapshotBackup', aggregateId: volumeId, result: { volumeId, backupSnapshots: true } });
    // The volume's next event keeps it; a redelivery changes nothing; a newer setting wins.
    rm.apply(v.deletionRequested(randomUUID()), set);
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'deleting', backupSnapshots: true, version: 3 });
    rm.apply(event('SnapshotBackupSet', volumeId, 2, { volumeId, backupSnapshots: false }, randomUUID(), 'acme'));
    expect(rm.volumes.get(volumeId)).toMatchObject({ backupSnapshots: false, backupSnapshotsVersion: 2 });
    // Kept apart from the volume's own history: the same versions, another stream.
    expect(rm.history.filter((h) => h.type === 'SnapshotBackupSet').map((h) => [h.stream, h.streamVersion])).toEqual([
      ['snapshot-settings', 1],
      ['snapshot-settings', 2],
    ]);
  });

  it('SnapshotBackupSet of a volume not projected yet is history only and still ends its job; the volume\'s first event reads the latest back', () => {
    const volumeId = randomUUID();
    const job = randomUUID();
    const rm = new ReadModels().apply(
      event('SnapshotBackupSet', volumeId, 1, { volumeId, backupSnapshots: false }, randomUUID()),
      event('SnapshotBackupSet', volumeId, 2, { volumeId, backupSnapshots: true }, job),
    );
    expect(rm.volumes.size).toBe(0);
    expect(rm.jobs.get(job)?.status).toBe('succeeded');
    expect(rm.history).toHaveLength(2);
    const v = volumeEvents(volumeId, poolId);
    rm.apply(poolAdded(poolId), v.requested(), v.created());
    expect(rm.volumes.get(volumeId)).toMatchObject({ status: 'ready', backupSnapshots: true, backupSnapshotsVersion: 2, version: 2 });
    // Already applied: a redelivery changes nothing.
    rm.apply(event('SnapshotBackupSet', volumeId, 1, { volumeId, backupSnapshots: false }, randomUUID()));
    expect(rm.volumes.get(volumeId)?.backupSnapshots).toBe(true);
  });

  it('SnapshotRequested with backup: true shows the snapshot to be backed up', () => {
    const snapshotId = randomUUID();
    const volumeId = randomUUID();
    const rm = new ReadModels().apply(
      event('SnapshotRequested', snapshotId, 1, { snapshotId, volumeId, name: 's', poolId, volumeBackendName: 'v', backendName: 'v@s', policyId: null, dueAt: null, backup: true }),
    );
    expect(rm.snapshots.get(snapshotId)?.backup).toBe(true);
  });
});
