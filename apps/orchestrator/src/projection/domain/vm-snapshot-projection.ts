import type { VmSnapshotCreated, VmSnapshotRequested } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import type { ErrorDetails, VmSnapshotMemberRow, VmSnapshotRow, VmSnapshotStatus } from '../../read-model/domain/rows';
import type { ProjectedVmSnapshotEventType, TypedEvent } from './storage-event';

const vmSnapshotEventTypes: { readonly [K in ProjectedVmSnapshotEventType]: true } = {
  VmSnapshotRequested: true,
  VmSnapshotCreated: true,
  VmSnapshotCreationFailed: true,
  VmSnapshotDeletionRequested: true,
  VmSnapshotDeleted: true,
  VmSnapshotDeletionFailed: true,
  VmSnapshotRevertRequested: true,
  VmSnapshotReverted: true,
  VmSnapshotRevertFailed: true,
};

export type VmSnapshotEvent = Extract<TypedEvent, { type: ProjectedVmSnapshotEventType }>;

export function isVmSnapshotEvent(event: TypedEvent): event is VmSnapshotEvent {
  return Object.prototype.hasOwnProperty.call(vmSnapshotEventTypes, event.type);
}

export interface VmSnapshotEventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

function requested(current: VmSnapshotRow | null, d: VmSnapshotRequested, meta: VmSnapshotEventMeta): VmSnapshotRow {
  return {
    id: d.vmSnapshotId,
    vmId: d.vmId,
    name: d.name,
    // The CreateVmSnapshot's owner: its volumes' tenant.
    tenant: meta.tenant,
    status: 'creating',
    members: d.members.map((m) => ({
      volumeId: m.volumeId,
      poolId: m.poolId,
      volumeBackendName: m.volumeBackendName,
      snapshotBackendName: m.snapshotBackendName,
      sizeBytes: null,
    })),
    lastError: null,
    version: meta.streamVersion,
    createdAt: current?.createdAt ?? meta.occurredAt,
    updatedAt: meta.occurredAt,
  };
}

/** Each member with the size (and the name) the backend reported for it; members it did not report keep theirs. */
function made(members: readonly VmSnapshotMemberRow[], d: VmSnapshotCreated): VmSnapshotMemberRow[] {
  return members.map((m) => {
    const reported = d.members.find((r) => r.volumeId === m.volumeId);
    return reported ? { ...m, snapshotBackendName: reported.snapshotBackendName, sizeBytes: reported.sizeBytes } : { ...m };
  });
}

const errorDetails = (e: ErrorDetails): ErrorDetails => ({ code: e.code, category: e.category, message: e.message });

function moved(current: VmSnapshotRow, status: VmSnapshotStatus, meta: VmSnapshotEventMeta, lastError?: ErrorDetails | null): VmSnapshotRow {
  return {
    ...current,
    status,
    ...(lastError === undefined ? {} : { lastError }),
    version: meta.streamVersion,
    updatedAt: meta.occurredAt > current.updatedAt ? meta.occurredAt : current.updatedAt,
  };
}

/**
 * The VM snapshot after one of its events; undefined when this (or a later) version is
 * already projected, or for an event of a VM snapshot never seen requested (its name, VM and
 * members come with VmSnapshotRequested, the first event of its stream). Intents keep
 * lastError; outcomes set or clear it. The tenant stays the one of the request.
 */
export function applyVmSnapshotEvent(current: VmSnapshotRow | null, event: VmSnapshotEvent, meta: VmSnapshotEventMeta): VmSnapshotRow | undefined {
  if (current && current.version >= meta.streamVersion) return undefined;
  if (event.type === 'VmSnapshotRequested') return requested(current, event.data, meta);
  if (!current) return undefined;
  switch (event.type) {
    case 'VmSnapshotCreated':
      return { ...moved(current, 'ready', meta, null), members: made(current.members, event.data) };
    case 'VmSnapshotCreationFailed':
      return moved(current, 'error', meta, errorDetails(event.data.error));
    case 'VmSnapshotDeletionRequested':
      return moved(current, 'deleting', meta);
    case 'VmSnapshotDeleted':
      return moved(current, 'deleted', meta, null);
    case 'VmSnapshotDeletionFailed':
      return moved(current, 'error', meta, errorDetails(event.data.error));
    case 'VmSnapshotRevertRequested':
      return moved(current, 'reverting', meta);
    case 'VmSnapshotReverted':
      return moved(current, 'ready', meta, null);
    // The VM snapshot is as it was.
    case 'VmSnapshotRevertFailed':
      return moved(current, 'ready', meta, errorDetails(event.data.error));
    default:
      return assertUnreachable(event);
  }
}
