import { assertUnreachable } from '@strata/kernel';
import type { StorageEventDataMap } from '@strata/contracts';

/**
 * The snapshot service's own view of the pools and volumes the storage service owns, kept
 * from the storage events topic. It answers "where does this volume live, under which
 * backend name, and may it be snapshotted or reverted now" without asking the storage
 * service (services talk through Kafka only). Pure: the consumer loads rows, these
 * functions say what they become, the consumer stores them.
 */

export type ViewPoolStatus = 'enabled' | 'disabled' | 'maintenance' | 'deleted';
/** The storage service's volume statuses (its volume decider). */
export type ViewVolumeStatus = 'allocated' | 'creating' | 'ready' | 'attached' | 'resizing' | 'migrating' | 'error' | 'deleting' | 'deleted';

export interface PoolRow {
  readonly poolId: string;
  readonly plugin: string;
  /** As recorded by the storage service: credentials already redacted (the driver gets them from pool_secrets). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly zoneId: string;
  readonly status: ViewPoolStatus;
  /** Stream version of the last event applied: an older or repeated one changes nothing. */
  readonly version: number;
}

export interface VolumeRow {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
  readonly status: ViewVolumeStatus;
  readonly sizeBytes: number;
  /** Hosts the volume is granted to. */
  readonly hostIds: readonly string[];
  /** A host whose attach is in flight: it may see the disk any moment, so it counts as attached. */
  readonly attachingHostId: string | null;
  readonly version: number;
}

/** Any host holds the volume, or is about to. */
export const isAttached = (v: VolumeRow): boolean => v.hostIds.length > 0 || v.attachingHostId !== null;
export const hostCountOf = (v: VolumeRow): number => v.hostIds.length + (v.attachingHostId !== null && !v.hostIds.includes(v.attachingHostId) ? 1 : 0);

const POOL_EVENT_TYPES = [
  'StoragePoolAdded',
  'StoragePoolUpdated',
  'StoragePoolEnabled',
  'StoragePoolDisabled',
  'StoragePoolDeleted',
  'StoragePoolCapacityRefreshed',
  'PoolMaintenanceRequested',
  'PoolMaintenanceEntered',
  'PoolMaintenanceFailed',
  'PoolMaintenanceCancelled',
] as const;

const VOLUME_EVENT_TYPES = [
  'VolumeAllocated',
  'VolumeCreationRequested',
  'VolumeCreated',
  'VolumeCreationFailed',
  'VolumeManaged',
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
  'VolumeMigrationRequested',
  'VolumeMigrationProgressed',
  'VolumeMigrated',
  'VolumeMigrationFailed',
  'VolumeMigrationSourceDeleted',
  'VolumeMigrationSourceDeletionFailed',
] as const;

type PoolEventType = (typeof POOL_EVENT_TYPES)[number];
type VolumeEventType = (typeof VOLUME_EVENT_TYPES)[number];

export type PoolViewEvent = { [K in PoolEventType]: { readonly type: K; readonly data: StorageEventDataMap[K]; readonly streamVersion: number } }[PoolEventType];
export type VolumeViewEvent = {
  [K in VolumeEventType]: { readonly type: K; readonly data: StorageEventDataMap[K]; readonly streamVersion: number };
}[VolumeEventType];

const poolTypes: ReadonlySet<string> = new Set(POOL_EVENT_TYPES);
const volumeTypes: ReadonlySet<string> = new Set(VOLUME_EVENT_TYPES);

/** Which table an event of the storage topic moves; null for those the view ignores (hosts, drift, rejections). */
export function viewTargetOf(type: string): 'pool' | 'volume' | null {
  if (poolTypes.has(type)) return 'pool';
  if (volumeTypes.has(type)) return 'volume';
  return null;
}

/** The fields each event needs to be applied, so a malformed one is dead-lettered instead of blocking the partition. */
export function missingFields(type: string, data: Record<string, unknown>): string[] {
  const needs: Record<string, readonly string[]> = {
    StoragePoolAdded: ['poolId', 'plugin', 'zoneId', 'config'],
    PoolMaintenanceCancelled: ['poolId', 'restoredStatus'],
    VolumeAllocated: ['volumeId', 'poolId', 'backendName', 'sizeBytes'],
    VolumeCreationRequested: ['volumeId', 'poolId', 'backendName', 'sizeBytes'],
    VolumeManaged: ['volumeId', 'poolId', 'backendName', 'sizeBytes'],
    VolumeCreated: ['volumeId', 'sizeBytes'],
    VolumeResized: ['volumeId', 'sizeBytes'],
    VolumeAttachRequested: ['volumeId', 'hostId'],
    VolumeAttached: ['volumeId', 'hostId'],
    VolumeDetached: ['volumeId', 'hostId'],
    VolumeMigrated: ['volumeId', 'toPoolId', 'backendName', 'sizeBytes'],
  };
  const target = viewTargetOf(type);
  const base = target === 'pool' ? ['poolId'] : target === 'volume' ? ['volumeId'] : [];
  return [...new Set([...base, ...(needs[type] ?? [])])].filter((field) => data[field] === undefined || data[field] === null);
}

/** The pool once the event is applied; null when it changes nothing the view keeps. */
export function projectPool(current: PoolRow | null, event: PoolViewEvent): PoolRow | null {
  if (current && event.streamVersion <= current.version) return null;
  if (event.type === 'StoragePoolAdded') {
    const d = event.data;
    return { poolId: d.poolId, plugin: d.plugin, config: { ...d.config }, zoneId: d.zoneId, status: 'enabled', version: event.streamVersion };
  }
  // A pool's later events cannot come before its first one (one stream, one partition).
  if (!current) return null;
  const at = (status: ViewPoolStatus): PoolRow => ({ ...current, status, version: event.streamVersion });
  switch (event.type) {
    case 'StoragePoolEnabled':
      return at('enabled');
    case 'StoragePoolDisabled':
      return at('disabled');
    case 'StoragePoolDeleted':
      return at('deleted');
    case 'PoolMaintenanceRequested':
    case 'PoolMaintenanceEntered':
    case 'PoolMaintenanceFailed':
      // A failed maintenance keeps the pool closed until it is cancelled.
      return at('maintenance');
    case 'PoolMaintenanceCancelled':
      return at(event.data.restoredStatus);
    case 'StoragePoolUpdated':
    case 'StoragePoolCapacityRefreshed':
      // Names, tags, factors and capacity do not matter to snapshots; the version still moves.
      return at(current.status);
    default:
      return assertUnreachable(event);
  }
}

/** ready, or attached while a host holds it: where a volume settles after an operation (as the storage service does). */
const settled = (hostIds: readonly string[]): ViewVolumeStatus => (hostIds.length > 0 ? 'attached' : 'ready');

/** The volume once the event is applied; null when it changes nothing the view keeps. */
export function projectVolume(current: VolumeRow | null, event: VolumeViewEvent): VolumeRow | null {
  if (current && event.streamVersion <= current.version) return null;
  const v = event.streamVersion;
  if (event.type === 'VolumeAllocated' || event.type === 'VolumeCreationRequested') {
    const d = event.data;
    // Also an allocated volume's making at its first attach: the row exists then, and keeps its hosts.
    return {
      volumeId: d.volumeId,
      poolId: d.poolId,
      backendName: d.backendName,
      status: event.type === 'VolumeAllocated' ? 'allocated' : 'creating',
      sizeBytes: d.sizeBytes,
      hostIds: current?.hostIds ?? [],
      attachingHostId: current?.attachingHostId ?? null,
      version: v,
    };
  }
  if (event.type === 'VolumeManaged') {
    const d = event.data;
    return { volumeId: d.volumeId, poolId: d.poolId, backendName: d.backendName, status: 'ready', sizeBytes: d.sizeBytes, hostIds: [], attachingHostId: null, version: v };
  }
  if (!current) return null;
  const row = (changes: Partial<VolumeRow>): VolumeRow => ({ ...current, ...changes, version: v });
  switch (event.type) {
    case 'VolumeCreated':
      return row({ status: 'ready', sizeBytes: event.data.sizeBytes, backendName: event.data.backendName ?? current.backendName });
    case 'VolumeCreationFailed':
    case 'VolumeDeletionFailed':
      return row({ status: 'error' });
    case 'VolumeDeletionRequested':
      return row({ status: 'deleting' });
    case 'VolumeDeleted':
      return row({ status: 'deleted', hostIds: [], attachingHostId: null });
    case 'VolumeResizeRequested':
      return row({ status: 'resizing' });
    case 'VolumeResized':
      return row({ status: settled(current.hostIds), sizeBytes: event.data.sizeBytes });
    case 'VolumeResizeFailed':
      return row({ status: settled(current.hostIds) });
    case 'VolumeAttachRequested':
      return row({ attachingHostId: event.data.hostId });
    case 'VolumeAttached': {
      const hostIds = current.hostIds.includes(event.data.hostId) ? current.hostIds : [...current.hostIds, event.data.hostId];
      return row({ status: 'attached', hostIds, attachingHostId: null });
    }
    case 'VolumeAttachFailed':
      return row({ attachingHostId: null });
    case 'VolumeDetached': {
      const hostIds = current.hostIds.filter((h) => h !== event.data.hostId);
      // A detach while another operation runs leaves that status alone; at rest it settles.
      const status = current.status === 'ready' || current.status === 'attached' ? settled(hostIds) : current.status;
      return row({ status, hostIds });
    }
    case 'VolumeMigrationRequested':
      return row({ status: 'migrating' });
    case 'VolumeMigrated': {
      const d = event.data;
      // Snapshots follow the volume: it now lives on toPoolId under the backend name the move gave it.
      return row({ status: settled(current.hostIds), poolId: d.toPoolId, backendName: d.backendName, sizeBytes: d.sizeBytes });
    }
    case 'VolumeMigrationFailed':
      return row({ status: settled(current.hostIds) });
    case 'VolumeDetachRequested':
    case 'VolumeDetachFailed':
    case 'VolumeQosChangeRequested':
    case 'VolumeQosChanged':
    case 'VolumeQosChangeFailed':
    case 'VolumeMigrationProgressed':
    case 'VolumeMigrationSourceDeleted':
    case 'VolumeMigrationSourceDeletionFailed':
      // Still held by its host while a detach runs; QoS and a migration's bookkeeping change nothing kept here.
      return row({});
    default:
      return assertUnreachable(event);
  }
}
