import { assertUnreachable } from '@strata/kernel';
import type {
  VolumeAllocated,
  VolumeAttached,
  VolumeAttachFailed,
  VolumeCreated,
  VolumeCreationFailed,
  VolumeCreationRequested,
  VolumeDeleted,
  VolumeDeletionFailed,
  VolumeDeletionRequested,
  VolumeDetached,
  VolumeDetachFailed,
  VolumeManaged,
  VolumeMigrated,
  VolumeMigrationFailed,
  VolumeMigrationProgressed,
  VolumeMigrationRequested,
  VolumeQos,
  VolumeQosChanged,
  VolumeQosChangeFailed,
  VolumeResized,
  VolumeResizeFailed,
  VolumeResizeRequested,
} from '@strata/contracts';
import type { QosLimits, VolumeAttachment, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import type { TypedEvent } from './storage-event';

const volumeEventTypes = [
  'VolumeAllocated',
  'VolumeCreationRequested',
  'VolumeCreated',
  'VolumeCreationFailed',
  'VolumeDeletionRequested',
  'VolumeDeleted',
  'VolumeDeletionFailed',
  'VolumeResizeRequested',
  'VolumeResized',
  'VolumeResizeFailed',
  'VolumeAttachRequested',
  'VolumeAttached',
  'VolumeAttachFailed',
  'VolumeDetachRequested',
  'VolumeDetached',
  'VolumeDetachFailed',
  'VolumeQosChangeRequested',
  'VolumeQosChanged',
  'VolumeQosChangeFailed',
  'VolumeManaged',
  'VolumeMigrationRequested',
  'VolumeMigrationProgressed',
  'VolumeMigrated',
  'VolumeMigrationFailed',
  'VolumeMigrationSourceDeleted',
  'VolumeMigrationSourceDeletionFailed',
] as const;

export type VolumeEvent = Extract<TypedEvent, { type: (typeof volumeEventTypes)[number] }>;

const volumeTypes: ReadonlySet<string> = new Set(volumeEventTypes);

export function isVolumeEvent(event: TypedEvent): event is VolumeEvent {
  return volumeTypes.has(event.type);
}

/**
 * The pool the volume lives on once the event is applied, when the event says; the newer
 * operations (resize, attach, QoS) name none. VolumeMigrated moves it to toPoolId. A
 * migration's progress names only the destination, and the source deletion events only
 * the pool the volume left: neither is the volume's pool.
 */
export function poolIdOf(event: VolumeEvent): string | undefined {
  switch (event.type) {
    case 'VolumeMigrated':
      return event.data.toPoolId;
    case 'VolumeMigrationProgressed':
    case 'VolumeMigrationSourceDeleted':
    case 'VolumeMigrationSourceDeletionFailed':
      return undefined;
    default:
      return 'poolId' in event.data ? event.data.poolId : undefined;
  }
}

/** The pool a volume event moves the volume off, besides the one it lives on after: VolumeMigrated's fromPoolId. */
export function sourcePoolIdOf(event: VolumeEvent): string | undefined {
  return event.type === 'VolumeMigrated' ? event.data.fromPoolId : undefined;
}

export interface EventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

type Change<D> = (volume: VolumeRow, data: D, meta: EventMeta) => VolumeRow;

/** QoS as the read model keeps it: every limit named, null when there is none at all. */
export function qosLimits(qos: VolumeQos | null | undefined): QosLimits | null {
  if (!qos) return null;
  const limits = { iops: qos.iops ?? null, bandwidthBytesPerSecond: qos.bandwidthBytesPerSecond ?? null, tier: qos.tier ?? null };
  return limits.iops === null && limits.bandwidthBytesPerSecond === null && limits.tier === null ? null : limits;
}

/** ready, or attached while a host holds it: where a volume settles after an operation. */
const settled = (attachments: readonly VolumeAttachment[]): VolumeStatus => (attachments.length > 0 ? 'attached' : 'ready');

/** The volume as its creation request (or allocation) describes it: placed, its space held on the pool. */
const placed = (v: VolumeRow, d: VolumeCreationRequested | VolumeAllocated): VolumeRow => ({
  ...v,
  name: d.name,
  poolId: d.poolId,
  volumeType: d.volumeType ?? v.volumeType,
  sizeBytes: d.sizeBytes,
  backendName: d.backendName,
  provisioning: d.provisioning ?? 'thin',
  qos: qosLimits(d.qos),
  // The request that makes an allocated volume (its first attach) chose no pool: the allocation's record stays.
  allocation: d.allocation
    ? { policy: d.allocation.policy, candidates: d.allocation.candidates.map((c) => ({ ...c, reasons: [...c.reasons] })) }
    : v.allocation,
  // Made from a snapshot: kept as the snapshot and its volume (the backend names are the storage service's).
  source: d.source ? { snapshotId: d.source.snapshotId, volumeId: d.source.volumeId } : v.source,
  allocated: true,
});

// Placed with its space reserved, nothing on the backend yet: its first attach makes it.
const allocatedOnly: Change<VolumeAllocated> = (v, d) => ({ ...placed(v, d), status: 'allocated', path: null });

// Also the making of an allocated volume, on its first attach: the same space, held once.
const creationRequested: Change<VolumeCreationRequested> = (v, d) => ({ ...placed(v, d), status: 'creating' });

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

// An orphan adopted: it starts the volume's stream, and is on the backend already.
const managed: Change<VolumeManaged> = (v, d) => ({
  ...v,
  name: d.name,
  poolId: d.poolId,
  volumeType: 'DATA',
  sizeBytes: d.sizeBytes,
  backendName: d.backendName,
  path: d.path ?? null,
  provisioning: 'thin',
  qos: null,
  attachments: [],
  status: 'ready',
  lastError: null,
  allocated: true,
});

const deletionRequested: Change<VolumeDeletionRequested> = (v, d) => ({
  ...v,
  status: 'deleting',
  backendName: d.backendName ?? v.backendName,
});

const deleted: Change<VolumeDeleted> = (v) => ({ ...v, status: 'deleted', attachments: [], resizeToBytes: null, allocated: false });

// A failed delete leaves the volume on the backend: it still occupies the pool.
const deletionFailed: Change<VolumeDeletionFailed> = (v, d) => ({ ...v, status: 'error', lastError: { ...d.error } });

// A grow holds its new size on the pool from the request on (as the storage service's allocation counts it).
const resizeRequested: Change<VolumeResizeRequested> = (v, d) => ({ ...v, status: 'resizing', resizeToBytes: d.toBytes });

const resized: Change<VolumeResized> = (v, d) => ({
  ...v,
  status: settled(v.attachments),
  sizeBytes: d.sizeBytes,
  resizeToBytes: null,
  lastError: null,
});

const resizeFailed: Change<VolumeResizeFailed> = (v, d) => ({ ...v, status: settled(v.attachments), resizeToBytes: null, lastError: { ...d.error } });

const attached: Change<VolumeAttached> = (v, d, meta) => ({
  ...v,
  attachments: [
    ...v.attachments.filter((a) => a.hostId !== d.hostId),
    { hostId: d.hostId, devicePath: d.devicePath, attachedAt: meta.occurredAt.toISOString() },
  ],
  status: 'attached',
  lastError: null,
});

const detached: Change<VolumeDetached> = (v, d) => {
  const attachments = v.attachments.filter((a) => a.hostId !== d.hostId);
  return { ...v, attachments, status: settled(attachments), lastError: null };
};

// A failed attach, detach or QoS change leaves the volume as it was, with the reason.
const operationFailed: Change<VolumeAttachFailed | VolumeDetachFailed | VolumeQosChangeFailed> = (v, d) => ({ ...v, lastError: { ...d.error } });

const qosChanged: Change<VolumeQosChanged> = (v, d) => ({ ...v, qos: qosLimits(d.qos), lastError: null });

const NO_MIGRATION = { migrationToPoolId: null, migrationMode: null, migrationPercent: null } as const;

// The volume stays on its pool (and counts there) until VolumeMigrated; its hosts keep it.
const migrationRequested: Change<VolumeMigrationRequested> = (v, d) => ({
  ...v,
  status: 'migrating',
  migrationToPoolId: d.toPoolId,
  migrationMode: d.mode,
  migrationPercent: null,
});

// Progress of a copy, shown only while the volume is migrating (the stream's order already
// keeps a progress from following its outcome; this keeps a settled volume settled regardless).
const migrationProgressed: Change<VolumeMigrationProgressed> = (v, d) =>
  v.status === 'migrating' ? { ...v, migrationPercent: Math.min(100, Math.max(0, d.percent)) } : v;

// The switch: the volume lives on the destination under its new name, at the size the
// destination gave it. The source object may still be deleted after this (history only).
const migrated: Change<VolumeMigrated> = (v, d) => ({
  ...v,
  poolId: d.toPoolId,
  backendName: d.backendName,
  path: d.path ?? null,
  sizeBytes: d.sizeBytes,
  status: settled(v.attachments),
  lastError: null,
  allocated: true,
  ...NO_MIGRATION,
});

// The volume stays where it was, as it was, with the reason.
const migrationFailed: Change<VolumeMigrationFailed> = (v, d) => ({
  ...v,
  status: settled(v.attachments),
  lastError: { ...d.error },
  ...NO_MIGRATION,
});

/**
 * A volume the projection has not seen created: its history may predate the topic's
 * retention. It gets what this event says, so that it is at least listed and counted.
 * Only events that name the pool can make one: a volume is listed under its pool.
 */
function unseenVolume(event: VolumeEvent, poolId: string, meta: EventMeta): VolumeRow {
  const d = event.data as Partial<VolumeCreationRequested & VolumeCreated & VolumeMigrationRequested>;
  return {
    id: event.data.volumeId,
    name: d.name ?? d.backendName ?? event.data.volumeId,
    poolId,
    tenant: meta.tenant,
    volumeType: d.volumeType ?? 'DATA',
    sizeBytes: d.sizeBytes ?? 0,
    status: 'creating',
    backendName: d.backendName ?? d.sourceBackendName ?? null,
    path: null,
    lastError: null,
    provisioning: 'thin',
    qos: null,
    attachments: [],
    resizeToBytes: null,
    allocation: null,
    ...NO_MIGRATION,
    source: null,
    backupSnapshots: false,
    backupSnapshotsVersion: 0,
    // It exists unless this event says otherwise (a failed create, a delete).
    allocated: true,
    version: 0,
    createdAt: meta.occurredAt,
    updatedAt: meta.occurredAt,
  };
}

function change(volume: VolumeRow, event: VolumeEvent, meta: EventMeta): VolumeRow {
  switch (event.type) {
    case 'VolumeAllocated':
      return allocatedOnly(volume, event.data, meta);
    case 'VolumeCreationRequested':
      return creationRequested(volume, event.data, meta);
    case 'VolumeCreated':
      return created(volume, event.data, meta);
    case 'VolumeCreationFailed':
      return creationFailed(volume, event.data, meta);
    case 'VolumeManaged':
      return managed(volume, event.data, meta);
    case 'VolumeDeletionRequested':
      return deletionRequested(volume, event.data, meta);
    case 'VolumeDeleted':
      return deleted(volume, event.data, meta);
    case 'VolumeDeletionFailed':
      return deletionFailed(volume, event.data, meta);
    case 'VolumeResizeRequested':
      return resizeRequested(volume, event.data, meta);
    case 'VolumeResized':
      return resized(volume, event.data, meta);
    case 'VolumeResizeFailed':
      return resizeFailed(volume, event.data, meta);
    case 'VolumeAttached':
      return attached(volume, event.data, meta);
    case 'VolumeDetached':
      return detached(volume, event.data, meta);
    case 'VolumeAttachFailed':
    case 'VolumeDetachFailed':
    case 'VolumeQosChangeFailed':
      return operationFailed(volume, event.data, meta);
    case 'VolumeQosChanged':
      return qosChanged(volume, event.data, meta);
    case 'VolumeMigrationRequested':
      return migrationRequested(volume, event.data, meta);
    case 'VolumeMigrationProgressed':
      return migrationProgressed(volume, event.data, meta);
    case 'VolumeMigrated':
      return migrated(volume, event.data, meta);
    case 'VolumeMigrationFailed':
      return migrationFailed(volume, event.data, meta);
    // Intents the volume shows nothing of until their outcome (the job shows them running).
    case 'VolumeAttachRequested':
    case 'VolumeDetachRequested':
    case 'VolumeQosChangeRequested':
      return volume;
    // The old copy of a migrated volume deleted (or left behind for drift to report): history only.
    case 'VolumeMigrationSourceDeleted':
    case 'VolumeMigrationSourceDeletionFailed':
      return volume;
    default:
      return assertUnreachable(event);
  }
}

/**
 * The volume after `event`, or undefined when this version of it is already projected,
 * or when the volume is unknown and the event does not say which pool it is on.
 */
export function applyVolumeEvent(current: VolumeRow | null, event: VolumeEvent, meta: EventMeta): VolumeRow | undefined {
  if (current && current.version >= meta.streamVersion) return undefined;
  const poolId = poolIdOf(event);
  if (!current && poolId === undefined) return undefined;
  const next = change(current ?? unseenVolume(event, poolId as string, meta), event, meta);
  return { ...next, version: meta.streamVersion, updatedAt: meta.occurredAt };
}
