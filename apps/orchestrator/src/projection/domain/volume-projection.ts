import { assertUnreachable } from '@strata/kernel';
import type {
  VolumeCreated,
  VolumeCreationFailed,
  VolumeCreationRequested,
  VolumeDeleted,
  VolumeDeletionFailed,
  VolumeDeletionRequested,
} from '@strata/contracts';
import type { VolumeRow } from '../../read-model/domain/rows';
import type { TypedStorageEvent } from './storage-event';

export type VolumeEvent = Extract<
  TypedStorageEvent,
  {
    type:
      | 'VolumeCreationRequested'
      | 'VolumeCreated'
      | 'VolumeCreationFailed'
      | 'VolumeDeletionRequested'
      | 'VolumeDeleted'
      | 'VolumeDeletionFailed';
  }
>;

export function isVolumeEvent(event: TypedStorageEvent): event is VolumeEvent {
  return event.type.startsWith('Volume');
}

export interface EventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

type Change<D> = (volume: VolumeRow, data: D, meta: EventMeta) => VolumeRow;

const creationRequested: Change<VolumeCreationRequested> = (v, d) => ({
  ...v,
  name: d.name,
  poolId: d.poolId,
  volumeType: d.volumeType ?? v.volumeType,
  sizeBytes: d.sizeBytes,
  backendName: d.backendName,
  status: 'creating',
  allocated: true,
});

// The backend may round the size up (e.g. PowerFlex to 8 GiB), so the event's size wins.
const created: Change<VolumeCreated> = (v, d) => ({
  ...v,
  status: 'ready',
  sizeBytes: d.sizeBytes,
  backendName: d.backendName ?? v.backendName,
  path: d.path ?? null,
  lastError: null,
  allocated: true,
});

// A failed create leaves nothing on the backend (the storage service compensates).
const creationFailed: Change<VolumeCreationFailed> = (v, d) => ({ ...v, status: 'error', lastError: { ...d.error }, allocated: false });

const deletionRequested: Change<VolumeDeletionRequested> = (v, d) => ({
  ...v,
  status: 'deleting',
  backendName: d.backendName ?? v.backendName,
});

const deleted: Change<VolumeDeleted> = (v) => ({ ...v, status: 'deleted', allocated: false });

// A failed delete leaves the volume on the backend: it still occupies the pool.
const deletionFailed: Change<VolumeDeletionFailed> = (v, d) => ({ ...v, status: 'error', lastError: { ...d.error } });

/**
 * A volume the projection has not seen created: its history may predate the topic's
 * retention. It gets what this event says, so that it is at least listed and counted.
 */
function unseenVolume(event: VolumeEvent, meta: EventMeta): VolumeRow {
  const d = event.data as Partial<VolumeCreationRequested & VolumeCreated>;
  return {
    id: event.data.volumeId,
    name: d.name ?? d.backendName ?? event.data.volumeId,
    poolId: event.data.poolId,
    tenant: meta.tenant,
    volumeType: d.volumeType ?? 'DATA',
    sizeBytes: d.sizeBytes ?? 0,
    status: 'creating',
    backendName: d.backendName ?? null,
    path: null,
    lastError: null,
    // It exists unless this event says otherwise (a failed create, a delete).
    allocated: true,
    version: 0,
    createdAt: meta.occurredAt,
    updatedAt: meta.occurredAt,
  };
}

function change(volume: VolumeRow, event: VolumeEvent, meta: EventMeta): VolumeRow {
  switch (event.type) {
    case 'VolumeCreationRequested':
      return creationRequested(volume, event.data, meta);
    case 'VolumeCreated':
      return created(volume, event.data, meta);
    case 'VolumeCreationFailed':
      return creationFailed(volume, event.data, meta);
    case 'VolumeDeletionRequested':
      return deletionRequested(volume, event.data, meta);
    case 'VolumeDeleted':
      return deleted(volume, event.data, meta);
    case 'VolumeDeletionFailed':
      return deletionFailed(volume, event.data, meta);
    default:
      return assertUnreachable(event);
  }
}

/** The volume after `event`, or undefined when this version of it is already projected. */
export function applyVolumeEvent(current: VolumeRow | null, event: VolumeEvent, meta: EventMeta): VolumeRow | undefined {
  if (current && current.version >= meta.streamVersion) return undefined;
  const next = change(current ?? unseenVolume(event, meta), event, meta);
  return { ...next, version: meta.streamVersion, updatedAt: meta.occurredAt };
}
