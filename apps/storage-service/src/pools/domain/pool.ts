import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  MaintenanceMove,
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

export type PoolEvent =
  | { type: 'StoragePoolAdded'; data: StoragePoolAdded }
  | { type: 'StoragePoolUpdated'; data: StoragePoolUpdated }
  | { type: 'StoragePoolEnabled'; data: StoragePoolEnabled }
  | { type: 'StoragePoolDisabled'; data: StoragePoolDisabled }
  | { type: 'StoragePoolDeleted'; data: StoragePoolDeleted }
  | { type: 'StoragePoolCapacityRefreshed'; data: StoragePoolCapacityRefreshed }
  | { type: 'PoolMaintenanceRequested'; data: PoolMaintenanceRequested }
  | { type: 'PoolMaintenanceEntered'; data: PoolMaintenanceEntered }
  | { type: 'PoolMaintenanceFailed'; data: PoolMaintenanceFailed }
  | { type: 'PoolMaintenanceCancelled'; data: PoolMaintenanceCancelled };

/** CloudStack's defaults: no over-provisioning, allocation stops at 85 % of capacity. */
export const POOL_DEFAULTS = { overProvisioningFactor: 1, allocationDisableThreshold: 0.85 } as const;

export interface PoolFacts {
  readonly poolId: string;
  readonly name: string;
  readonly plugin: string;
  readonly zoneId: string;
  readonly clusterId: string | null;
  readonly tags: readonly string[];
  /** Plugin configuration with credentials redacted (the sealed ones live apart). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  /** Empty: any hypervisor. */
  readonly hypervisors: readonly string[];
  readonly capacityIops: number | null;
  readonly overProvisioningFactor: number;
  readonly allocationDisableThreshold: number;
}

/**
 * A pool in maintenance takes no new volumes or attaches. Entering moves its volumes off
 * one at a time; it is in maintenance once none is left, or failed when one could not move
 * (it stays closed until cancelled).
 */
export interface Maintenance {
  readonly phase: 'entering' | 'in_maintenance' | 'failed';
  readonly previousStatus: 'enabled' | 'disabled';
  readonly dataMoverHostId: string | null;
  readonly error: ErrorInfo | null;
}

export type PoolState =
  | { readonly status: 'absent' }
  | ({
      readonly status: 'enabled' | 'disabled' | 'maintenance' | 'deleted';
      readonly disabledReason: string | null;
      /** Set while the status is maintenance. */
      readonly maintenance: Maintenance | null;
    } & PoolFacts);
type PresentPool = Exclude<PoolState, { status: 'absent' }>;

/** The commands as the decider sees them: backend facts (capacity, live volumes) already gathered. */
export type PoolCommand =
  | { readonly type: 'AddStoragePool'; readonly pool: StoragePoolAdded }
  | { readonly type: 'UpdateStoragePool'; readonly poolId: string; readonly settings: PoolSettings }
  | { readonly type: 'EnableStoragePool'; readonly poolId: string }
  | { readonly type: 'DisableStoragePool'; readonly poolId: string; readonly reason: string | null }
  | { readonly type: 'DeleteStoragePool'; readonly poolId: string; readonly liveVolumeIds: readonly string[] }
  | {
      readonly type: 'EnterPoolMaintenance';
      readonly poolId: string;
      /** Where each volume on the pool would go. */
      readonly moves: readonly MaintenanceMove[];
      /** The volumes that cannot move, and why: any one refuses the request. */
      readonly blockers: readonly { readonly volumeId: string; readonly reason: string }[];
      readonly dataMoverHostId: string | null;
    }
  | { readonly type: 'RecordPoolMaintenanceEntered'; readonly poolId: string }
  | { readonly type: 'RecordPoolMaintenanceFailed'; readonly poolId: string; readonly volumeId: string | null; readonly error: ErrorInfo }
  | { readonly type: 'CancelPoolMaintenance'; readonly poolId: string }
  | {
      readonly type: 'RecordPoolCapacity';
      readonly poolId: string;
      readonly capacityBytes: number;
      readonly usedBytes: number;
      /** Asked for by someone (record it even if unchanged), rather than the periodic refresh. */
      readonly onDemand: boolean;
    };

export const PoolErrors = {
  inMaintenance: (poolId: string, action: string) =>
    new DomainError('pool.in_maintenance', ErrorCategory.IllegalState, `storage pool ${poolId} is in maintenance: cancel maintenance to ${action}`, {
      poolId,
    }),
  notInMaintenance: (poolId: string) =>
    new DomainError('pool.not_in_maintenance', ErrorCategory.Conflict, `storage pool ${poolId} is not in maintenance`, { poolId }),
  notEntering: (poolId: string) =>
    new DomainError('pool.maintenance_not_entering', ErrorCategory.Conflict, `storage pool ${poolId} is not entering maintenance`, { poolId }),
  cannotEvacuate: (poolId: string, blockers: readonly { volumeId: string; reason: string }[]) =>
    new DomainError(
      'pool.cannot_evacuate',
      ErrorCategory.IllegalState,
      `storage pool ${poolId} cannot enter maintenance: ${blockers.length} volume(s) cannot be moved off it: ` +
        blockers
          .slice(0, 10)
          .map((b) => `${b.volumeId}: ${b.reason}`)
          .join('; ') +
        (blockers.length > 10 ? `; and ${blockers.length - 10} more` : ''),
      { poolId, volumes: blockers },
    ),
  alreadyExists: (poolId: string) =>
    new DomainError('pool.already_exists', ErrorCategory.Conflict, `storage pool ${poolId} already exists`, { poolId }),
  notFound: (poolId: string) =>
    new DomainError('pool.not_found', ErrorCategory.NotFound, `storage pool ${poolId} does not exist`, { poolId }),
  deleted: (poolId: string) =>
    new DomainError('pool.deleted', ErrorCategory.NotFound, `storage pool ${poolId} has been deleted`, { poolId }),
  unchanged: (poolId: string) =>
    new DomainError('pool.unchanged', ErrorCategory.Validation, `the update changes nothing on storage pool ${poolId}`, { poolId }),
  alreadyEnabled: (poolId: string) =>
    new DomainError('pool.already_enabled', ErrorCategory.Conflict, `storage pool ${poolId} is already enabled`, { poolId }),
  alreadyDisabled: (poolId: string) =>
    new DomainError('pool.already_disabled', ErrorCategory.Conflict, `storage pool ${poolId} is already disabled`, { poolId }),
  hasVolumes: (poolId: string, volumeIds: readonly string[]) => {
    const shown = volumeIds.slice(0, 20).join(', ');
    const more = volumeIds.length > 20 ? ` and ${volumeIds.length - 20} more` : '';
    return new DomainError(
      'pool.has_volumes',
      ErrorCategory.IllegalState,
      `storage pool ${poolId} still holds ${volumeIds.length} volume(s): ${shown}${more}; delete or migrate them first`,
      { poolId, volumeIds },
    );
  },
};

/** Refuses anything on a pool that is absent or deleted. */
function present(state: PoolState, poolId: string): PresentPool {
  if (state.status === 'absent') throw PoolErrors.notFound(poolId);
  if (state.status === 'deleted') throw PoolErrors.deleted(state.poolId);
  return state;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Only the settings whose value differs from the pool's. */
function changedSettings(pool: PoolFacts, settings: PoolSettings): PoolSettings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings) as [keyof PoolSettings, unknown][]) {
    if (value === undefined) continue;
    const current = pool[key];
    const same = Array.isArray(value) ? sameList(value as string[], current as string[]) : value === current;
    if (!same) out[key] = value;
  }
  return out as PoolSettings;
}

/**
 * A periodic measurement is recorded only when it moved by more than 0.1 % of the
 * capacity (or the capacity itself changed), so the log does not fill with noise.
 */
function capacityMoved(pool: PoolFacts, capacityBytes: number, usedBytes: number): boolean {
  if (capacityBytes !== pool.capacityBytes) return true;
  return Math.abs(usedBytes - pool.usedBytes) > pool.capacityBytes / 1000;
}

export const poolDecider: Decider<PoolState, PoolCommand, PoolEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'AddStoragePool':
        if (state.status !== 'absent') throw PoolErrors.alreadyExists(command.pool.poolId);
        return [{ type: 'StoragePoolAdded', data: command.pool }];
      case 'UpdateStoragePool': {
        const pool = present(state, command.poolId);
        const changes = changedSettings(pool, command.settings);
        if (Object.keys(changes).length === 0) throw PoolErrors.unchanged(pool.poolId);
        return [{ type: 'StoragePoolUpdated', data: { poolId: pool.poolId, changes } }];
      }
      case 'EnableStoragePool': {
        const pool = present(state, command.poolId);
        if (pool.status === 'maintenance') throw PoolErrors.inMaintenance(pool.poolId, 'enable it');
        if (pool.status === 'enabled') throw PoolErrors.alreadyEnabled(pool.poolId);
        return [{ type: 'StoragePoolEnabled', data: { poolId: pool.poolId } }];
      }
      case 'DisableStoragePool': {
        const pool = present(state, command.poolId);
        if (pool.status === 'maintenance') throw PoolErrors.inMaintenance(pool.poolId, 'disable it');
        if (pool.status === 'disabled') throw PoolErrors.alreadyDisabled(pool.poolId);
        return [{ type: 'StoragePoolDisabled', data: { poolId: pool.poolId, reason: command.reason } }];
      }
      case 'DeleteStoragePool': {
        const pool = present(state, command.poolId);
        if (command.liveVolumeIds.length > 0) throw PoolErrors.hasVolumes(pool.poolId, command.liveVolumeIds);
        return [{ type: 'StoragePoolDeleted', data: { poolId: pool.poolId } }];
      }
      case 'EnterPoolMaintenance': {
        const pool = present(state, command.poolId);
        if (pool.status === 'maintenance') throw PoolErrors.inMaintenance(pool.poolId, 'enter it again');
        if (command.blockers.length > 0) throw PoolErrors.cannotEvacuate(pool.poolId, command.blockers);
        const requested: PoolEvent = {
          type: 'PoolMaintenanceRequested',
          data: { poolId: pool.poolId, previousStatus: pool.status === 'disabled' ? 'disabled' : 'enabled', moves: command.moves, dataMoverHostId: command.dataMoverHostId },
        };
        // Nothing to move: in maintenance at once.
        return command.moves.length === 0 ? [requested, { type: 'PoolMaintenanceEntered', data: { poolId: pool.poolId } }] : [requested];
      }
      case 'RecordPoolMaintenanceEntered': {
        const pool = present(state, command.poolId);
        if (pool.maintenance?.phase !== 'entering') throw PoolErrors.notEntering(pool.poolId);
        return [{ type: 'PoolMaintenanceEntered', data: { poolId: pool.poolId } }];
      }
      case 'RecordPoolMaintenanceFailed': {
        const pool = present(state, command.poolId);
        if (pool.maintenance?.phase !== 'entering') throw PoolErrors.notEntering(pool.poolId);
        return [{ type: 'PoolMaintenanceFailed', data: { poolId: pool.poolId, volumeId: command.volumeId, error: command.error } }];
      }
      case 'CancelPoolMaintenance': {
        const pool = present(state, command.poolId);
        if (pool.status !== 'maintenance' || !pool.maintenance) throw PoolErrors.notInMaintenance(pool.poolId);
        return [{ type: 'PoolMaintenanceCancelled', data: { poolId: pool.poolId, restoredStatus: pool.maintenance.previousStatus } }];
      }
      case 'RecordPoolCapacity': {
        const pool = present(state, command.poolId);
        if (!command.onDemand && !capacityMoved(pool, command.capacityBytes, command.usedBytes)) return [];
        return [
          {
            type: 'StoragePoolCapacityRefreshed',
            data: { poolId: pool.poolId, capacityBytes: command.capacityBytes, usedBytes: command.usedBytes },
          },
        ];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'StoragePoolAdded': {
        const d = event.data;
        return {
          status: 'enabled',
          disabledReason: null,
          maintenance: null,
          ...d,
          hypervisors: d.hypervisors ?? [],
          capacityIops: d.capacityIops ?? null,
          overProvisioningFactor: d.overProvisioningFactor ?? POOL_DEFAULTS.overProvisioningFactor,
          allocationDisableThreshold: d.allocationDisableThreshold ?? POOL_DEFAULTS.allocationDisableThreshold,
        };
      }
      case 'StoragePoolUpdated':
        return state.status === 'absent' ? state : ({ ...state, ...event.data.changes } as PoolState);
      case 'StoragePoolEnabled':
        return state.status === 'absent' ? state : { ...state, status: 'enabled', disabledReason: null };
      case 'StoragePoolDisabled':
        return state.status === 'absent' ? state : { ...state, status: 'disabled', disabledReason: event.data.reason };
      case 'StoragePoolDeleted':
        return state.status === 'absent' ? state : { ...state, status: 'deleted' };
      case 'StoragePoolCapacityRefreshed':
        return state.status === 'absent'
          ? state
          : { ...state, capacityBytes: event.data.capacityBytes, usedBytes: event.data.usedBytes };
      case 'PoolMaintenanceRequested': {
        if (state.status === 'absent') return state;
        const { previousStatus, dataMoverHostId } = event.data;
        return { ...state, status: 'maintenance', maintenance: { phase: 'entering', previousStatus, dataMoverHostId, error: null } };
      }
      case 'PoolMaintenanceEntered':
        return state.status === 'absent' || !state.maintenance ? state : { ...state, maintenance: { ...state.maintenance, phase: 'in_maintenance' } };
      case 'PoolMaintenanceFailed':
        return state.status === 'absent' || !state.maintenance
          ? state
          : { ...state, maintenance: { ...state.maintenance, phase: 'failed', error: event.data.error } };
      case 'PoolMaintenanceCancelled':
        return state.status === 'absent' ? state : { ...state, status: event.data.restoredStatus, maintenance: null };
      default:
        return assertUnreachable(event);
    }
  },
};

export const poolStreamId = (poolId: string) => `pool-${poolId}`;
export const POOL_STREAM_PREFIX = 'pool-';
