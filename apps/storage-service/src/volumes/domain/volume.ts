import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  VolumeCreated,
  VolumeCreationFailed,
  VolumeCreationRequested,
  VolumeDeleted,
  VolumeDeletionFailed,
  VolumeDeletionRequested,
} from '@strata/contracts';

export type VolumeEvent =
  | { type: 'VolumeCreationRequested'; data: VolumeCreationRequested }
  | { type: 'VolumeCreated'; data: VolumeCreated }
  | { type: 'VolumeCreationFailed'; data: VolumeCreationFailed }
  | { type: 'VolumeDeletionRequested'; data: VolumeDeletionRequested }
  | { type: 'VolumeDeleted'; data: VolumeDeleted }
  | { type: 'VolumeDeletionFailed'; data: VolumeDeletionFailed };

interface VolumeFacts {
  readonly volumeId: string;
  readonly name: string;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly volumeType: 'DATA' | 'ROOT';
  readonly backendName: string;
  readonly path: string | null;
  readonly lastError: ErrorInfo | null;
}

/** Transitional states (creating, deleting) always end in an outcome; recovery sees to it. */
export type VolumeState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'creating' | 'ready' | 'error' | 'deleting' | 'deleted' } & VolumeFacts);

/** What the volume needs to know of its pool; loaded by the handler, not by the decider. */
export interface PoolView {
  readonly poolId: string;
  readonly status: 'enabled' | 'disabled';
}

export type VolumeCommand =
  | {
      readonly type: 'CreateVolume';
      readonly volumeId: string;
      readonly name: string;
      readonly sizeBytes: number;
      readonly volumeType: 'DATA' | 'ROOT';
      readonly poolId: string;
      readonly pool: PoolView | null;
      readonly backendName: string;
    }
  | { readonly type: 'RecordVolumeCreated'; readonly sizeBytes: number; readonly path: string | null }
  | { readonly type: 'RecordVolumeCreationFailed'; readonly error: ErrorInfo }
  | { readonly type: 'DeleteVolume'; readonly volumeId: string }
  | { readonly type: 'RecordVolumeDeleted' }
  | { readonly type: 'RecordVolumeDeletionFailed'; readonly error: ErrorInfo };

export const VolumeErrors = {
  alreadyExists: (volumeId: string) =>
    new DomainError('volume.already_exists', ErrorCategory.Conflict, `volume ${volumeId} already exists`, { volumeId }),
  notFound: (volumeId: string) =>
    new DomainError('volume.not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist`, { volumeId }),
  deletionUnderWay: (volumeId: string) =>
    new DomainError('volume.deletion_in_progress', ErrorCategory.Conflict, `volume ${volumeId} is already being deleted`, {
      volumeId,
    }),
  illegalState: (volumeId: string, status: string, action: string) =>
    new DomainError(
      'volume.illegal_state',
      ErrorCategory.IllegalState,
      `volume ${volumeId} is ${status}: cannot ${action}`,
      { volumeId, status, action },
    ),
  poolDisabled: (poolId: string) =>
    new DomainError('pool.disabled', ErrorCategory.IllegalState, `storage pool ${poolId} is disabled: it takes no new volumes`, { poolId }),
  poolNotFound: (poolId: string) =>
    new DomainError('pool.not_found', ErrorCategory.NotFound, `storage pool ${poolId} does not exist`, { poolId }),
};

type PresentVolume = Exclude<VolumeState, { status: 'absent' }>;

/** Returns the volume when its status allows `action`, else the error that says why not. */
function requireStatus(
  state: VolumeState,
  allowed: readonly PresentVolume['status'][],
  action: string,
  volumeId = 'unknown',
): PresentVolume {
  if (state.status === 'absent') throw VolumeErrors.notFound(volumeId);
  if (!allowed.includes(state.status)) throw VolumeErrors.illegalState(state.volumeId, state.status, action);
  return state;
}

export const volumeDecider: Decider<VolumeState, VolumeCommand, VolumeEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateVolume': {
        if (state.status !== 'absent') throw VolumeErrors.alreadyExists(command.volumeId);
        if (!command.pool) throw VolumeErrors.poolNotFound(command.poolId);
        if (command.pool.status === 'disabled') throw VolumeErrors.poolDisabled(command.poolId);
        return [
          {
            type: 'VolumeCreationRequested',
            data: {
              volumeId: command.volumeId,
              name: command.name,
              poolId: command.poolId,
              sizeBytes: command.sizeBytes,
              volumeType: command.volumeType,
              backendName: command.backendName,
            },
          },
        ];
      }
      case 'RecordVolumeCreated': {
        const volume = requireStatus(state, ['creating'], 'record a creation');
        return [
          {
            type: 'VolumeCreated',
            data: {
              volumeId: volume.volumeId,
              poolId: volume.poolId,
              backendName: volume.backendName,
              sizeBytes: command.sizeBytes,
              path: command.path,
            },
          },
        ];
      }
      case 'RecordVolumeCreationFailed': {
        const volume = requireStatus(state, ['creating'], 'record a failed creation');
        return [{ type: 'VolumeCreationFailed', data: { volumeId: volume.volumeId, poolId: volume.poolId, error: command.error } }];
      }
      case 'DeleteVolume': {
        // A second request while one runs is answered, not swallowed: its job must end too.
        if (state.status === 'deleting') throw VolumeErrors.deletionUnderWay(state.volumeId);
        const volume = requireStatus(state, ['ready', 'error'], 'delete it', command.volumeId);
        return [
          {
            type: 'VolumeDeletionRequested',
            data: { volumeId: volume.volumeId, poolId: volume.poolId, backendName: volume.backendName },
          },
        ];
      }
      case 'RecordVolumeDeleted': {
        const volume = requireStatus(state, ['deleting'], 'record a deletion');
        return [{ type: 'VolumeDeleted', data: { volumeId: volume.volumeId, poolId: volume.poolId, sizeBytes: volume.sizeBytes } }];
      }
      case 'RecordVolumeDeletionFailed': {
        const volume = requireStatus(state, ['deleting'], 'record a failed deletion');
        return [{ type: 'VolumeDeletionFailed', data: { volumeId: volume.volumeId, poolId: volume.poolId, error: command.error } }];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'VolumeCreationRequested':
        return { status: 'creating', ...event.data, path: null, lastError: null };
      case 'VolumeCreated':
        return state.status === 'absent'
          ? state
          : { ...state, status: 'ready', sizeBytes: event.data.sizeBytes, path: event.data.path, lastError: null };
      case 'VolumeCreationFailed':
        return state.status === 'absent' ? state : { ...state, status: 'error', lastError: event.data.error };
      case 'VolumeDeletionRequested':
        return state.status === 'absent' ? state : { ...state, status: 'deleting' };
      case 'VolumeDeleted':
        return state.status === 'absent' ? state : { ...state, status: 'deleted', path: null };
      case 'VolumeDeletionFailed':
        return state.status === 'absent' ? state : { ...state, status: 'error', lastError: event.data.error };
      default:
        return assertUnreachable(event);
    }
  },
};

export const volumeStreamId = (volumeId: string) => `volume-${volumeId}`;
export const VOLUME_STREAM_PREFIX = 'volume-';
/** Newest events that leave a volume mid-operation: recovery finishes these. */
export const TRANSITIONAL_VOLUME_EVENTS = ['VolumeCreationRequested', 'VolumeDeletionRequested'] as const;
