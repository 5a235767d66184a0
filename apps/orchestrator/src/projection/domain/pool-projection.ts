import type {
  PoolMaintenanceCancelled,
  PoolMaintenanceEntered,
  PoolMaintenanceFailed,
  PoolMaintenanceRequested,
  PoolSettings,
  StoragePoolAdded,
  StoragePoolCapacityRefreshed,
  StoragePoolDeleted,
  StoragePoolDisabled,
  StoragePoolEnabled,
  StoragePoolUpdated,
} from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { POOL_DEFAULTS, type PoolRow, type VolumeRow } from '../../read-model/domain/rows';
import type { TypedEvent } from './storage-event';

/** What the pool's volumes already occupy, for a pool whose own event comes after theirs. */
export interface PoolUsage {
  readonly allocatedBytes: number;
  readonly volumeCount: number;
  /** The latest usage change of its volumes (VolumeRow.usageChangedAt); null when none. */
  readonly changedAt: Date | null;
}

export const NO_USAGE: PoolUsage = { allocatedBytes: 0, volumeCount: 0, changedAt: null };

/** A new pool, or nothing when this (or a later) version of it is already projected. */
export function applyStoragePoolAdded(
  current: PoolRow | null,
  usage: PoolUsage,
  data: StoragePoolAdded,
  streamVersion: number,
  at: Date,
): PoolRow | undefined {
  if (current && current.version >= streamVersion) return undefined;
  return {
    id: data.poolId,
    name: data.name,
    plugin: data.plugin,
    zoneId: data.zoneId,
    clusterId: data.clusterId ?? null,
    tags: [...(data.tags ?? [])],
    config: { ...(data.config ?? {}) },
    status: 'enabled',
    disabledReason: null,
    // Events recorded before these settings existed leave them out: they mean the defaults.
    hypervisors: [...(data.hypervisors ?? POOL_DEFAULTS.hypervisors)],
    capacityIops: data.capacityIops ?? POOL_DEFAULTS.capacityIops,
    overProvisioningFactor: data.overProvisioningFactor ?? POOL_DEFAULTS.overProvisioningFactor,
    allocationDisableThreshold: data.allocationDisableThreshold ?? POOL_DEFAULTS.allocationDisableThreshold,
    capacityBytes: data.capacityBytes ?? 0,
    usedBytes: data.usedBytes ?? 0,
    capacityMeasuredAt: at,
    allocatedBytes: current?.allocatedBytes ?? usage.allocatedBytes,
    volumeCount: current?.volumeCount ?? usage.volumeCount,
    maintenancePhase: null,
    maintenanceError: null,
    version: streamVersion,
    createdAt: current?.createdAt ?? at,
    // Its volumes' usage changes move updatedAt forward (adjustPoolUsage): those replayed
    // before the pool itself count too, so a rebuild ends where the live projection did.
    updatedAt: !current && usage.changedAt && usage.changedAt > at ? usage.changedAt : at,
  };
}

/** What a volume holds of its pool: its size, or a grow in flight (promised already); nothing once gone. */
const held = (volume: VolumeRow | null | undefined) =>
  volume?.allocated ? { bytes: Math.max(volume.sizeBytes, volume.resizeToBytes ?? 0), count: 1 } : { bytes: 0, count: 0 };

/** What the volume holds of this pool: nothing when it lives on another (before or after a migration). */
const heldOn = (pool: PoolRow, volume: VolumeRow | null | undefined) => (volume?.poolId === pool.id ? held(volume) : held(null));

/** Whether the volume's change alters what it holds of a pool (its size, whether it counts, or which pool). */
export function usageChanged(before: VolumeRow | null, after: VolumeRow | undefined): boolean {
  if (!after) return false;
  const was = held(before);
  const now = held(after);
  return was.bytes !== now.bytes || was.count !== now.count || (now.count > 0 && before?.poolId !== after.poolId);
}

/**
 * The pool after one of its volumes changed from `before` to `after`; undefined when its
 * usage did not change or the pool is not projected yet (its own event then counts the
 * volumes it finds). A volume counts on the pool it lives on, so when VolumeMigrated moves
 * it, the pool it left gives its size back and the pool it reached takes it: each of the
 * two is adjusted by its own call.
 */
export function adjustPoolUsage(
  pool: PoolRow | null,
  before: VolumeRow | null,
  after: VolumeRow | undefined,
  at: Date,
): PoolRow | undefined {
  if (!pool || !after) return undefined;
  const was = heldOn(pool, before);
  const now = heldOn(pool, after);
  if (was.bytes === now.bytes && was.count === now.count) return undefined;
  return {
    ...pool,
    allocatedBytes: Math.max(0, pool.allocatedBytes + now.bytes - was.bytes),
    volumeCount: Math.max(0, pool.volumeCount + now.count - was.count),
    // Volume events of different partitions may be projected out of time order.
    updatedAt: at > pool.updatedAt ? at : pool.updatedAt,
  };
}

/** The events of a pool's life after it was added. */
export type PoolLifecycleEvent = Extract<
  TypedEvent,
  {
    type:
      | 'StoragePoolUpdated'
      | 'StoragePoolEnabled'
      | 'StoragePoolDisabled'
      | 'StoragePoolDeleted'
      | 'StoragePoolCapacityRefreshed'
      | 'PoolMaintenanceRequested'
      | 'PoolMaintenanceEntered'
      | 'PoolMaintenanceFailed'
      | 'PoolMaintenanceCancelled';
  }
>;

const lifecycleTypes: ReadonlySet<string> = new Set<PoolLifecycleEvent['type']>([
  'StoragePoolUpdated',
  'StoragePoolEnabled',
  'StoragePoolDisabled',
  'StoragePoolDeleted',
  'StoragePoolCapacityRefreshed',
  'PoolMaintenanceRequested',
  'PoolMaintenanceEntered',
  'PoolMaintenanceFailed',
  'PoolMaintenanceCancelled',
]);

export function isPoolLifecycleEvent(event: TypedEvent): event is PoolLifecycleEvent {
  return lifecycleTypes.has(event.type);
}

type PoolChange<D> = (pool: PoolRow, data: D, at: Date) => PoolRow;

/** The settings the event names replace the pool's; the others stay. null clears capacityIops. */
function withSettings(pool: PoolRow, changes: PoolSettings): PoolRow {
  const next = { ...pool };
  if (changes.name !== undefined) next.name = changes.name;
  if (changes.tags !== undefined) next.tags = [...changes.tags];
  if (changes.hypervisors !== undefined) next.hypervisors = [...changes.hypervisors];
  if (changes.capacityIops !== undefined) next.capacityIops = changes.capacityIops;
  if (changes.overProvisioningFactor !== undefined) next.overProvisioningFactor = changes.overProvisioningFactor;
  if (changes.allocationDisableThreshold !== undefined) next.allocationDisableThreshold = changes.allocationDisableThreshold;
  return next;
}

/** A pool out of maintenance shows no maintenance phase or error. */
const NO_MAINTENANCE = { maintenancePhase: null, maintenanceError: null } as const;

const updated: PoolChange<StoragePoolUpdated> = (p, d) => withSettings(p, d.changes);
const enabled: PoolChange<StoragePoolEnabled> = (p) => ({ ...p, status: 'enabled', disabledReason: null, ...NO_MAINTENANCE });
const disabled: PoolChange<StoragePoolDisabled> = (p, d) => ({ ...p, status: 'disabled', disabledReason: d.reason ?? null, ...NO_MAINTENANCE });
// A deleted pool keeps its last settings and usage: GET /pools/{id} still shows them.
const deleted: PoolChange<StoragePoolDeleted> = (p) => ({ ...p, status: 'deleted', ...NO_MAINTENANCE });

// Maintenance: the pool takes no new volumes while its volumes move off (entering), once
// empty (in_maintenance), or after a move failed (failed, with the reason), until cancelled.
const maintenanceRequested: PoolChange<PoolMaintenanceRequested> = (p) => ({
  ...p,
  status: 'maintenance',
  maintenancePhase: 'entering',
  maintenanceError: null,
});
const maintenanceEntered: PoolChange<PoolMaintenanceEntered> = (p) => ({
  ...p,
  status: 'maintenance',
  maintenancePhase: 'in_maintenance',
  maintenanceError: null,
});
const maintenanceFailed: PoolChange<PoolMaintenanceFailed> = (p, d) => ({
  ...p,
  status: 'maintenance',
  maintenancePhase: 'failed',
  maintenanceError: { code: d.error.code, category: d.error.category, message: d.error.message, volumeId: d.volumeId ?? null },
});
// Back to the status it had: a disabled pool keeps the reason it was disabled for.
const maintenanceCancelled: PoolChange<PoolMaintenanceCancelled> = (p, d) => ({
  ...p,
  status: d.restoredStatus,
  disabledReason: d.restoredStatus === 'disabled' ? p.disabledReason : null,
  ...NO_MAINTENANCE,
});
// allocatedBytes is ours (the volumes' sizes), not the backend's: a measurement leaves it.
const capacityRefreshed: PoolChange<StoragePoolCapacityRefreshed> = (p, d, at) => ({
  ...p,
  capacityBytes: d.capacityBytes,
  usedBytes: d.usedBytes,
  capacityMeasuredAt: at,
});

function changePool(pool: PoolRow, event: PoolLifecycleEvent, at: Date): PoolRow {
  switch (event.type) {
    case 'StoragePoolUpdated':
      return updated(pool, event.data, at);
    case 'StoragePoolEnabled':
      return enabled(pool, event.data, at);
    case 'StoragePoolDisabled':
      return disabled(pool, event.data, at);
    case 'StoragePoolDeleted':
      return deleted(pool, event.data, at);
    case 'StoragePoolCapacityRefreshed':
      return capacityRefreshed(pool, event.data, at);
    case 'PoolMaintenanceRequested':
      return maintenanceRequested(pool, event.data, at);
    case 'PoolMaintenanceEntered':
      return maintenanceEntered(pool, event.data, at);
    case 'PoolMaintenanceFailed':
      return maintenanceFailed(pool, event.data, at);
    case 'PoolMaintenanceCancelled':
      return maintenanceCancelled(pool, event.data, at);
    default:
      return assertUnreachable(event);
  }
}

/**
 * The pool after one of its lifecycle events; undefined when this (or a later) version is
 * already projected, or when the pool is not: its events share a partition, so that only
 * happens when the topic no longer holds its StoragePoolAdded, and a pool cannot be
 * listed without the name, plugin and zone that event carries. The event is still history.
 */
export function applyPoolEvent(current: PoolRow | null, event: PoolLifecycleEvent, streamVersion: number, at: Date): PoolRow | undefined {
  if (!current || current.version >= streamVersion) return undefined;
  const next = changePool(current, event, at);
  // Volume events of other partitions may have moved updatedAt past this event's time.
  return { ...next, version: streamVersion, updatedAt: at > current.updatedAt ? at : current.updatedAt };
}
