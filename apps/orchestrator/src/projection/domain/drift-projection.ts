import { assertUnreachable } from '@strata/kernel';
import type { OrphanRemovalRecord, OrphanRemovalStatus, PoolDriftRow } from '../../read-model/domain/rows';
import type { TypedEvent } from './storage-event';

/** The events of a pool's drift record, published under the pool id in a stream of their own. */
export type DriftEvent = Extract<
  TypedEvent,
  { type: 'PoolDriftDetected' | 'PoolDriftCleared' | 'OrphanRemovalRequested' | 'OrphanRemoved' | 'OrphanRemovalFailed' }
>;

const driftTypes: ReadonlySet<string> = new Set<DriftEvent['type']>([
  'PoolDriftDetected',
  'PoolDriftCleared',
  'OrphanRemovalRequested',
  'OrphanRemoved',
  'OrphanRemovalFailed',
]);

export function isDriftEventType(type: string): boolean {
  return driftTypes.has(type);
}

export function isDriftEvent(event: TypedEvent): event is DriftEvent {
  return driftTypes.has(event.type);
}

/** The record of a pool no reconciliation has reported on: what GET /pools/{id}/drift shows then. */
export function neverReconciled(poolId: string, at: Date): PoolDriftRow {
  return { poolId, state: 'never_reconciled', orphans: [], missing: [], detectedAt: null, removals: [], version: 0, updatedAt: at };
}

function withRemoval(drift: PoolDriftRow, backendName: string, status: OrphanRemovalStatus, at: Date, error: OrphanRemovalRecord['error'] = null): PoolDriftRow {
  const record: OrphanRemovalRecord = { backendName, status, error, updatedAt: at.toISOString() };
  return { ...drift, removals: [...drift.removals.filter((r) => r.backendName !== backendName), record] };
}

function change(drift: PoolDriftRow, event: DriftEvent, at: Date): PoolDriftRow {
  switch (event.type) {
    case 'PoolDriftDetected':
      return {
        ...drift,
        state: 'drift',
        orphans: event.data.orphans.map((o) => ({ backendName: o.backendName, sizeBytes: o.sizeBytes })),
        missing: event.data.missing.map((m) => ({ volumeId: m.volumeId, backendName: m.backendName })),
        detectedAt: at,
      };
    case 'PoolDriftCleared':
      return { ...drift, state: 'clear', orphans: [], missing: [], detectedAt: at };
    case 'OrphanRemovalRequested':
      return withRemoval(drift, event.data.backendName, 'requested', at);
    case 'OrphanRemoved': {
      // Gone from the backend: no longer an orphan, whatever the next reconciliation says.
      const next = withRemoval(drift, event.data.backendName, 'removed', at);
      return { ...next, orphans: next.orphans.filter((o) => o.backendName !== event.data.backendName) };
    }
    case 'OrphanRemovalFailed':
      return withRemoval(drift, event.data.backendName, 'failed', at, { ...event.data.error });
    default:
      return assertUnreachable(event);
  }
}

/** The drift record after one of its events; undefined when this (or a later) version is already projected. */
export function applyDriftEvent(current: PoolDriftRow | null, event: DriftEvent, streamVersion: number, at: Date): PoolDriftRow | undefined {
  if (current && current.version >= streamVersion) return undefined;
  const next = change(current ?? neverReconciled(event.data.poolId, at), event, at);
  return { ...next, version: streamVersion, updatedAt: at };
}

/** An orphan adopted as a volume (VolumeManaged) is no orphan any more; undefined when the record does not list it. */
export function adoptOrphan(current: PoolDriftRow | null, backendName: string, at: Date): PoolDriftRow | undefined {
  if (!current || !current.orphans.some((o) => o.backendName === backendName)) return undefined;
  return { ...current, orphans: current.orphans.filter((o) => o.backendName !== backendName), updatedAt: at };
}
