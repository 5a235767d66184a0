/**
 * What one volume holds of its pool's allocation (bytes and IOPS), folded from its own events. Only the
 * events that move a volume's size, pool or existence matter here; the rest are ignored, so this
 * fold does not break when the volume gains operations. A migration under way holds space
 * on both pools: the destination's is promised from the intent on.
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
  /** A migration under way: the destination and the size it takes there. */
  moving: { poolId: string; bytes: number } | null;
}

type Data = { poolId?: string; toPoolId?: string; sizeBytes?: number; toBytes?: number; qos?: { iops?: number | null } | null };

/** A QoS event carries the volume's whole QoS: an absent or null iops means no limit. */
const iopsOf = (d: Data) => d.qos?.iops ?? 0;

/** Null when the volume holds nothing: deleted, or its creation failed before anything was made. */
export function volumeFootprint(events: readonly VolumeSizeEvent[]): VolumeFootprint | null {
  return volumeFootprints(events)[0] ?? null;
}

/** The volume's footprint on its own pool first, then on a migration's destination while one runs. */
export function volumeFootprints(events: readonly VolumeSizeEvent[]): VolumeFootprint[] {
  const s: Fold = {
    poolId: null,
    sizeBytes: 0,
    pendingBytes: null,
    iops: 0,
    pendingIops: null,
    made: false,
    creationFailed: false,
    deleted: false,
    moving: null,
  };
  for (const { type, data } of events) {
    const d = data as Data;
    switch (type) {
      case 'VolumeCreationRequested':
      case 'VolumeAllocated':
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
      case 'VolumeMigrationRequested':
        if (d.toPoolId) s.moving = { poolId: d.toPoolId, bytes: d.sizeBytes ?? s.sizeBytes };
        break;
      case 'VolumeMigrated':
        s.poolId = d.toPoolId ?? s.poolId;
        s.sizeBytes = d.sizeBytes ?? s.sizeBytes;
        s.moving = null;
        break;
      case 'VolumeMigrationFailed':
        s.moving = null;
        break;
      case 'VolumeDeleted':
        s.deleted = true;
        break;
      default:
        break;
    }
  }
  if (s.poolId === null || s.deleted || (s.creationFailed && !s.made)) return [];
  const iops = Math.max(s.iops, s.pendingIops ?? 0);
  const home = { poolId: s.poolId, bytes: Math.max(s.sizeBytes, s.pendingBytes ?? 0), iops };
  return s.moving ? [home, { poolId: s.moving.poolId, bytes: s.moving.bytes, iops }] : [home];
}

export interface PoolAllocation {
  readonly bytes: number;
  readonly iops: number;
}

/** Sum of the footprints per pool. */
export function allocationByPool(volumes: Iterable<readonly VolumeSizeEvent[]>): Map<string, PoolAllocation> {
  const out = new Map<string, PoolAllocation>();
  for (const events of volumes) {
    for (const footprint of volumeFootprints(events)) {
      const sum = out.get(footprint.poolId) ?? { bytes: 0, iops: 0 };
      out.set(footprint.poolId, { bytes: sum.bytes + footprint.bytes, iops: sum.iops + footprint.iops });
    }
  }
  return out;
}

/** The event types volumeFootprint reads, for the query that loads them. */
export const FOOTPRINT_EVENT_TYPES = [
  'VolumeCreationRequested',
  'VolumeAllocated',
  'VolumeManaged',
  'VolumeCreated',
  'VolumeCreationFailed',
  'VolumeResizeRequested',
  'VolumeResized',
  'VolumeResizeFailed',
  'VolumeQosChangeRequested',
  'VolumeQosChanged',
  'VolumeQosChangeFailed',
  'VolumeMigrationRequested',
  'VolumeMigrated',
  'VolumeMigrationFailed',
  'VolumeDeleted',
] as const;
