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
