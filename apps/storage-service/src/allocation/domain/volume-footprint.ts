/**
 * What one volume holds of its pool's allocation (bytes and IOPS), folded from its own events. Only the
 * events that move a volume's size or existence matter here; the rest are ignored, so this
 * fold does not break when the volume gains operations (a migration that changes the pool
 * must be added here when it lands).
 */
export interface VolumeSizeEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface VolumeFootprint {
  readonly poolId: string;
  readonly bytes: number;
  /** Its IOPS limit (0 when it has none): what it may take of the pool's IOPS. */
  readonly iops: number;
}

interface Fold {
  poolId: string | null;
  sizeBytes: number;
  /** A grow asked for and not finished: its space is promised already. */
  pendingBytes: number | null;
  iops: number;
  /** A QoS change under way: the higher limit is promised already. */
  pendingIops: number | null;
  made: boolean;
  creationFailed: boolean;
  deleted: boolean;
}

type Data = { poolId?: string; sizeBytes?: number; toBytes?: number; qos?: { iops?: number | null } | null };

/** A QoS event carries the volume's whole QoS: an absent or null iops means no limit. */
const iopsOf = (d: Data) => d.qos?.iops ?? 0;

/** Null when the volume holds nothing: deleted, or its creation failed before anything was made. */
export function volumeFootprint(events: readonly VolumeSizeEvent[]): VolumeFootprint | null {
  const s: Fold = { poolId: null, sizeBytes: 0, pendingBytes: null, iops: 0, pendingIops: null, made: false, creationFailed: false, deleted: false };
  for (const { type, data } of events) {
    const d = data as Data;
    switch (type) {
      case 'VolumeCreationRequested':
        s.poolId = d.poolId ?? null;
        s.sizeBytes = d.sizeBytes ?? 0;
        s.iops = iopsOf(d);
        break;
      case 'VolumeManaged':
        s.poolId = d.poolId ?? null;
        s.sizeBytes = d.sizeBytes ?? 0;
        s.made = true;
        break;
      case 'VolumeCreated':
        s.sizeBytes = d.sizeBytes ?? s.sizeBytes;
        s.made = true;
        break;
      case 'VolumeCreationFailed':
        s.creationFailed = true;
        break;
      case 'VolumeResizeRequested':
        s.pendingBytes = d.toBytes ?? null;
        break;
      case 'VolumeResized':
        s.sizeBytes = d.sizeBytes ?? s.sizeBytes;
        s.pendingBytes = null;
        break;
      case 'VolumeResizeFailed':
        s.pendingBytes = null;
        break;
      case 'VolumeQosChangeRequested':
        s.pendingIops = iopsOf(d);
        break;
      case 'VolumeQosChanged':
        s.iops = iopsOf(d);
        s.pendingIops = null;
        break;
      case 'VolumeQosChangeFailed':
        s.pendingIops = null;
        break;
      case 'VolumeDeleted':
        s.deleted = true;
        break;
      default:
        break;
    }
  }
  if (s.poolId === null || s.deleted || (s.creationFailed && !s.made)) return null;
  return { poolId: s.poolId, bytes: Math.max(s.sizeBytes, s.pendingBytes ?? 0), iops: Math.max(s.iops, s.pendingIops ?? 0) };
}

export interface PoolAllocation {
  readonly bytes: number;
  readonly iops: number;
}

/** Sum of the footprints per pool. */
export function allocationByPool(volumes: Iterable<readonly VolumeSizeEvent[]>): Map<string, PoolAllocation> {
  const out = new Map<string, PoolAllocation>();
  for (const events of volumes) {
    const footprint = volumeFootprint(events);
    if (!footprint) continue;
    const sum = out.get(footprint.poolId) ?? { bytes: 0, iops: 0 };
    out.set(footprint.poolId, { bytes: sum.bytes + footprint.bytes, iops: sum.iops + footprint.iops });
  }
  return out;
}

/** The event types volumeFootprint reads, for the query that loads them. */
export const FOOTPRINT_EVENT_TYPES = [
  'VolumeCreationRequested',
  'VolumeManaged',
  'VolumeCreated',
  'VolumeCreationFailed',
  'VolumeResizeRequested',
  'VolumeResized',
  'VolumeResizeFailed',
  'VolumeQosChangeRequested',
  'VolumeQosChanged',
  'VolumeQosChangeFailed',
  'VolumeDeleted',
] as const;
