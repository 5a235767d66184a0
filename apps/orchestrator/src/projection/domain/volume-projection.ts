import { assertUnreachable } from '@strata/kernel';
import type {
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
  VolumeQos,
  VolumeQosChanged,
  VolumeQosChangeFailed,
  VolumeResized,
  VolumeResizeFailed,
  VolumeResizeRequested,
} from '@strata/contracts';
import type { QosLimits, VolumeAttachment, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import type { TypedStorageEvent } from './storage-event';

const volumeEventTypes = [
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
] as const;

export type VolumeEvent = Extract<TypedStorageEvent, { type: (typeof volumeEventTypes)[number] }>;

const volumeTypes: ReadonlySet<string> = new Set(volumeEventTypes);

export function isVolumeEvent(event: TypedStorageEvent): event is VolumeEvent {
  return volumeTypes.has(event.type);
}

/** The pool a volume event names; the newer operations (resize, attach, QoS) name none. */
export function poolIdOf(event: VolumeEvent): string | undefined {
  return 'poolId' in event.data ? event.data.poolId : undefined;
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

const creationRequested: Change<VolumeCreationRequested> = (v, d) => ({
  ...v,
  name: d.name,
  poolId: d.poolId,
  volumeType: d.volumeType ?? v.volumeType,
  sizeBytes: d.sizeBytes,
  backendName: d.backendName,
  provisioning: d.provisioning ?? 'thin',
  qos: qosLimits(d.qos),
  allocation: d.allocation ? { policy: d.allocation.policy, candidates: d.allocation.candidates.map((c) => ({ ...c, reasons: [...c.reasons] })) } : null,
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

/**
 * A volume the projection has not seen created: its history may predate the topic's
 * retention. It gets what this event says, so that it is at least listed and counted.
 * Only events that name the pool can make one: a volume is listed under its pool.
 */
function unseenVolume(event: VolumeEvent, poolId: string, meta: EventMeta): VolumeRow {
  const d = event.data as Partial<VolumeCreationRequested & VolumeCreated>;
  return {
    id: event.data.volumeId,
    name: d.name ?? d.backendName ?? event.data.volumeId,
    poolId,
    tenant: meta.tenant,
    volumeType: d.volumeType ?? 'DATA',
    sizeBytes: d.sizeBytes ?? 0,
    status: 'creating',
    backendName: d.backendName ?? null,
    path: null,
    lastError: null,
    provisioning: 'thin',
    qos: null,
    attachments: [],
    resizeToBytes: null,
    allocation: null,
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
    // Intents the volume shows nothing of until their outcome (the job shows them running).
    case 'VolumeAttachRequested':
    case 'VolumeDetachRequested':
    case 'VolumeQosChangeRequested':
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
