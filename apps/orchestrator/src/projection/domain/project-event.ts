import type { AggregateEventRow, JobRow, PoolRow, VolumeRow } from '../../read-model/domain/rows';
import { advanceJob, jobUpdateOf } from './job-projection';
import { adjustPoolUsage, applyPoolEvent, applyStoragePoolAdded, isPoolLifecycleEvent, type PoolUsage } from './pool-projection';
import type { ReceivedEvent } from './storage-event';
import { applyVolumeEvent, isVolumeEvent } from './volume-projection';

/** The rows an event touches; the edge loads them (locked) before projecting. */
export interface ProjectionTargets {
  readonly poolId?: string;
  readonly volumeId?: string;
  readonly jobId?: string;
}

/** The current rows for the targets; null when a row does not exist yet. */
export interface ProjectionView {
  readonly pool: PoolRow | null;
  /** Only needed, and only loaded, for a pool's first event. */
  readonly poolUsage: PoolUsage;
  readonly volume: VolumeRow | null;
  readonly job: JobRow | null;
}

/** Rows to write; a row whose view was null is inserted, any other updated. */
export interface ProjectionChanges {
  readonly pool?: PoolRow;
  readonly volume?: VolumeRow;
  readonly job?: JobRow;
  readonly history?: AggregateEventRow;
}

export function projectionTargets(event: ReceivedEvent): ProjectionTargets {
  const typed = event.typed;
  const jobId = jobUpdateOf(event)?.jobId;
  if (typed?.type === 'StoragePoolAdded') return { poolId: typed.data.poolId, jobId };
  if (typed && isPoolLifecycleEvent(typed)) return { poolId: typed.data.poolId, jobId };
  if (typed && isVolumeEvent(typed)) return { poolId: typed.data.poolId, volumeId: typed.data.volumeId, jobId };
  return { jobId };
}

/** Whether the edge must count the pool's projected volumes (a pool's first event). */
export function needsPoolUsage(event: ReceivedEvent): boolean {
  return event.typed?.type === 'StoragePoolAdded';
}

/** The history row of an aggregate's event; rejections are no aggregate's history. */
export function historyOf(event: ReceivedEvent): AggregateEventRow | undefined {
  const e = event.envelope;
  if (e.type === 'CommandRejected' || e.streamVersion === null) return undefined;
  return {
    aggregateId: e.aggregateId,
    streamVersion: e.streamVersion,
    messageId: e.messageId,
    type: e.type,
    occurredAt: event.occurredAt,
    envelope: e as unknown as Record<string, unknown>,
  };
}

/** One event applied to the read models: pure, so every case is a plain unit test. */
export function projectEvent(view: ProjectionView, event: ReceivedEvent): ProjectionChanges {
  const update = jobUpdateOf(event);
  const job = update ? advanceJob(view.job, update) : undefined;
  const history = historyOf(event);
  const typed = event.typed;
  const version = event.envelope.streamVersion ?? 0;

  if (typed?.type === 'StoragePoolAdded') {
    const pool = applyStoragePoolAdded(view.pool, view.poolUsage, typed.data, version, event.occurredAt);
    return { pool, job, history };
  }
  if (typed && isPoolLifecycleEvent(typed)) {
    const pool = applyPoolEvent(view.pool, typed, version, event.occurredAt);
    return { pool, job, history };
  }
  if (typed && isVolumeEvent(typed)) {
    const volume = applyVolumeEvent(view.volume, typed, {
      streamVersion: version,
      occurredAt: event.occurredAt,
      tenant: event.tenant,
    });
    const pool = adjustPoolUsage(view.pool, view.volume, volume, event.occurredAt);
    return { pool, volume, job, history };
  }
  return { job, history };
}
