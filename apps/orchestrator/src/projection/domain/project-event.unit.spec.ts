import { randomUUID } from 'node:crypto';
import type { AggregateEventRow, JobRow, PoolRow, VolumeRow } from '../../read-model/domain/rows';
import { NO_USAGE } from './pool-projection';
import { needsPoolUsage, projectEvent, projectionTargets } from './project-event';
import { readStorageEvent, type ReceivedEvent } from './storage-event';

/** The read models in memory, fed the way the TypeORM edge feeds the real ones. */
class ReadModels {
  pools = new Map<string, PoolRow>();
  volumes = new Map<string, VolumeRow>();
  jobs = new Map<string, JobRow>();
  history: AggregateEventRow[] = [];

  apply(...events: ReceivedEvent[]): this {
    for (const event of events) {
      const t = projectionTargets(event);
      const pool = (t.poolId && this.pools.get(t.poolId)) || null;
      const usage =
        needsPoolUsage(event) && t.poolId && !pool
          ? [...this.volumes.values()]
              .filter((v) => v.poolId === t.poolId && v.allocated)
              .reduce((u, v) => ({ allocatedBytes: u.allocatedBytes + v.sizeBytes, volumeCount: u.volumeCount + 1 }), NO_USAGE)
          : NO_USAGE;
      const view = {
        pool,
        poolUsage: usage,
        volume: (t.volumeId && this.volumes.get(t.volumeId)) || null,
        job: (t.jobId && this.jobs.get(t.jobId)) || null,
      };
      const changes = projectEvent(view, event);
      if (changes.pool) this.pools.set(changes.pool.id, changes.pool);
      if (changes.volume) this.volumes.set(changes.volume.id, changes.volume);
      if (changes.job) this.jobs.set(changes.job.id, changes.job);
      const h = changes.history;
      if (h && !this.history.some((e) => e.aggregateId === h.aggregateId && e.streamVersion === h.streamVersion)) this.history.push(h);
    }
    return this;
  }
}

const GiB = 2 ** 30;
let clock = Date.parse('2026-01-01T00:00:00.000Z');

function event(type: string, aggregateId: string, streamVersion: number | null, data: Record<string, unknown>, causationId: string | null = randomUUID(), tenant: string | null = null): ReceivedEvent {
  clock += 1000;
  const read = readStorageEvent({
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

  it('ignores a second StoragePoolAdded of the same version', () => {
    const poolId = randomUUID();
    const rm = new ReadModels().apply(poolAdded(poolId));
    const changes = projectEvent({ pool: rm.pools.get(poolId)!, poolUsage: NO_USAGE, volume: null, job: null }, poolAdded(poolId));
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
    expect(projectEvent({ pool, poolUsage: NO_USAGE, volume: null, job: null }, disabled).pool).toBeUndefined();
    expect(projectEvent({ pool, poolUsage: NO_USAGE, volume: null, job: null }, enabled).pool).toBeUndefined();
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
    const changes = projectEvent({ pool: null, poolUsage: NO_USAGE, volume: rm.volumes.get(volumeId)!, job }, requested);
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
