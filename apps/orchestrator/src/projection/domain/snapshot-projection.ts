import type { SnapshotRequested } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import type { ErrorDetails, SnapshotRow, SnapshotStatus } from '../../read-model/domain/rows';
import type { ProjectedSnapshotEventType, TypedEvent } from './storage-event';

const snapshotEventTypes: { readonly [K in ProjectedSnapshotEventType]: true } = {
  SnapshotRequested: true,
  SnapshotCreated: true,
  SnapshotCreationFailed: true,
  SnapshotDeletionRequested: true,
  SnapshotDeleted: true,
  SnapshotDeletionFailed: true,
  SnapshotRevertRequested: true,
  SnapshotReverted: true,
  SnapshotRevertFailed: true,
};

export type SnapshotEvent = Extract<TypedEvent, { type: ProjectedSnapshotEventType }>;

export function isSnapshotEvent(event: TypedEvent): event is SnapshotEvent {
  return Object.prototype.hasOwnProperty.call(snapshotEventTypes, event.type);
}

export interface SnapshotEventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

function requested(current: SnapshotRow | null, d: SnapshotRequested, meta: SnapshotEventMeta): SnapshotRow {
  const dueAt = d.dueAt ? new Date(d.dueAt) : null;
  return {
    id: d.snapshotId,
    volumeId: d.volumeId,
    name: d.name,
    poolId: d.poolId,
    tenant: meta.tenant,
    backendName: d.backendName,
    volumeBackendName: d.volumeBackendName ?? null,
    status: 'creating',
    sizeBytes: null,
    backup: d.backup === true,
    policyId: d.policyId ?? null,
    dueAt,
    lastError: null,
    version: meta.streamVersion,
    createdAt: current?.createdAt ?? meta.occurredAt,
    updatedAt: meta.occurredAt,
  };
}

const errorDetails = (e: ErrorDetails): ErrorDetails => ({ code: e.code, category: e.category, message: e.message });

/** The status an outcome leaves, and whether it clears or sets lastError. */
function moved(current: SnapshotRow, status: SnapshotStatus, meta: SnapshotEventMeta, lastError?: ErrorDetails | null): SnapshotRow {
  return {
    ...current,
    status,
    ...(lastError === undefined ? {} : { lastError }),
    version: meta.streamVersion,
    updatedAt: meta.occurredAt > current.updatedAt ? meta.occurredAt : current.updatedAt,
  };
}

/**
 * The snapshot after one of its events; undefined when this (or a later) version is already
 * projected, or for an event of a snapshot never seen requested (nothing to show it by: its
 * name, pool and backend name come with SnapshotRequested, the first event of its stream).
 * Intents (creation, deletion, revert) keep lastError; outcomes set or clear it.
 */
export function applySnapshotEvent(current: SnapshotRow | null, event: SnapshotEvent, meta: SnapshotEventMeta): SnapshotRow | undefined {
  if (current && current.version >= meta.streamVersion) return undefined;
  if (event.type === 'SnapshotRequested') return requested(current, event.data, meta);
  if (!current) return undefined;
  switch (event.type) {
    case 'SnapshotCreated':
      return { ...moved(current, 'ready', meta, null), sizeBytes: event.data.sizeBytes };
    case 'SnapshotCreationFailed':
      return moved(current, 'error', meta, errorDetails(event.data.error));
    case 'SnapshotDeletionRequested':
      return moved(current, 'deleting', meta);
    case 'SnapshotDeleted':
      return moved(current, 'deleted', meta, null);
    case 'SnapshotDeletionFailed':
      return moved(current, 'error', meta, errorDetails(event.data.error));
    case 'SnapshotRevertRequested':
      return moved(current, 'reverting', meta);
    case 'SnapshotReverted':
      return moved(current, 'ready', meta, null);
    // The snapshot is as it was; the volume's content too (the backend reverts or does not).
    case 'SnapshotRevertFailed':
      return moved(current, 'ready', meta, errorDetails(event.data.error));
    default:
      return assertUnreachable(event);
  }
}
