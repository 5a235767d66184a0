import { assertUnreachable, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  SnapshotCreated,
  SnapshotCreationFailed,
  SnapshotDeleted,
  SnapshotDeletionFailed,
  SnapshotDeletionRequested,
  SnapshotRequested,
  SnapshotReverted,
  SnapshotRevertFailed,
  SnapshotRevertRequested,
} from '@strata/contracts';
import { SnapshotErrors } from './snapshot.errors';

export type SnapshotEvent =
  | { type: 'SnapshotRequested'; data: SnapshotRequested }
  | { type: 'SnapshotCreated'; data: SnapshotCreated }
  | { type: 'SnapshotCreationFailed'; data: SnapshotCreationFailed }
  | { type: 'SnapshotDeletionRequested'; data: SnapshotDeletionRequested }
  | { type: 'SnapshotDeleted'; data: SnapshotDeleted }
  | { type: 'SnapshotDeletionFailed'; data: SnapshotDeletionFailed }
  | { type: 'SnapshotRevertRequested'; data: SnapshotRevertRequested }
  | { type: 'SnapshotReverted'; data: SnapshotReverted }
  | { type: 'SnapshotRevertFailed'; data: SnapshotRevertFailed };

/**
 * creating, reverting and deleting are transitional: each ends in an outcome event, and
 * recovery sees to it after a crash. A failed creation or deletion leaves 'error' (it may
 * be deleted again); a failed revert leaves the snapshot 'ready' (the snapshot itself is fine).
 */
export type SnapshotStatus = 'creating' | 'ready' | 'error' | 'reverting' | 'deleting' | 'deleted';

export interface SnapshotFacts {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly name: string;
  readonly poolId: string;
  readonly volumeBackendName: string;
  readonly backendName: string;
  readonly sizeBytes: number | null;
  readonly policyId: string | null;
  readonly dueAt: string | null;
  readonly lastError: ErrorInfo | null;
}

export type SnapshotState = { readonly status: 'absent' } | ({ readonly status: SnapshotStatus } & SnapshotFacts);
type PresentSnapshot = Exclude<SnapshotState, { status: 'absent' }>;

/** The volume as the snapshot service's view of the storage service knows it; read by the handler. */
export interface VolumeFacts {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
  /** The storage service's volume status (allocated, creating, ready, attached, resizing, migrating, error, deleting, deleted). */
  readonly status: string;
  /** Hosts that hold the volume, or are being given it (an attach in flight counts). */
  readonly hostCount: number;
}

/** What the pool's plugin declares, from its manifest; read by the handler. */
export interface BackendFacts {
  readonly plugin: string;
  /** Who makes it and what it is, for messages ("Dell powerflex"). */
  readonly label: string;
  readonly snapshot: boolean;
  readonly revert: 'any' | 'latest' | 'none';
}

/** The volume's tree as its backend counts it (driver.getVolumeTree). */
export interface TreeFacts {
  readonly snapshotCount: number;
  readonly snapshotLimit: number | null;
}

export type SnapshotCommand =
  | {
      readonly type: 'CreateSnapshot';
      readonly snapshotId: string;
      readonly volumeId: string;
      readonly name: string;
      /** Null when the view has no such volume. */
      readonly volume: VolumeFacts | null;
      /** Null when the view has no such pool (or it was deleted). */
      readonly backend: BackendFacts | null;
      /** Asked of the backend only for a usable volume on a pool that takes snapshots; null otherwise. */
      readonly tree: TreeFacts | null;
      /** The snapshot's deterministic name on the backend. */
      readonly backendName: string;
      readonly policyId?: string | null;
      readonly dueAt?: string | null;
      /** The volume's backup setting when the snapshot is asked for. */
      readonly backup?: boolean;
    }
  | { readonly type: 'RecordSnapshotCreated'; readonly sizeBytes: number }
  | { readonly type: 'RecordSnapshotCreationFailed'; readonly error: ErrorInfo }
  | { readonly type: 'DeleteSnapshot'; readonly snapshotId: string }
  | { readonly type: 'RecordSnapshotDeleted' }
  /** Its volume was deleted with its snapshots (DeleteVolume with deleteSnapshots): the backend object is gone. */
  | { readonly type: 'RecordDeletedWithVolume' }
  | { readonly type: 'RecordSnapshotDeletionFailed'; readonly error: ErrorInfo }
  | {
      readonly type: 'RevertToSnapshot';
      readonly snapshotId: string;
      readonly volume: VolumeFacts | null;
      readonly backend: BackendFacts | null;
      /**
       * The backend name of the volume's newest snapshot (listSnapshots, newest last), asked only
       * where the plugin reverts to the latest alone; undefined when not asked.
       */
      readonly newestSnapshot?: string | null;
    }
  | { readonly type: 'RecordSnapshotReverted' }
  | { readonly type: 'RecordSnapshotRevertFailed'; readonly error: ErrorInfo };

/** A volume takes a snapshot or a revert only when nothing is happening to it. */
const USABLE_FOR_SNAPSHOT = ['ready', 'attached'];

function requireStatus(state: SnapshotState, allowed: readonly SnapshotStatus[], action: string, snapshotId = 'unknown'): PresentSnapshot {
  if (state.status === 'absent') throw SnapshotErrors.notFound(snapshotId);
  if (!allowed.includes(state.status)) throw SnapshotErrors.illegalState(state.snapshotId, state.status, action);
  return state;
}

function requireVolume(volume: VolumeFacts | null, volumeId: string, named: boolean): VolumeFacts {
  if (!volume || volume.status === 'deleted') throw SnapshotErrors.volumeNotFound(volumeId, named);
  return volume;
}

export const snapshotDecider: Decider<SnapshotState, SnapshotCommand, SnapshotEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateSnapshot': {
        if (state.status !== 'absent') throw SnapshotErrors.alreadyExists(command.snapshotId);
        const volume = requireVolume(command.volume, command.volumeId, true);
        if (!command.backend) throw SnapshotErrors.poolNotFound(volume.volumeId, volume.poolId);
        if (!USABLE_FOR_SNAPSHOT.includes(volume.status)) throw SnapshotErrors.volumeNotReady(volume.volumeId, volume.status, 'take a snapshot');
        if (!command.backend.snapshot) throw SnapshotErrors.unsupported(volume.volumeId, command.backend.plugin);
        // A handler bug, not a user error: the tree is asked whenever the checks above pass.
        if (!command.tree) throw new Error(`CreateSnapshot ${command.snapshotId}: the volume tree was not read`);
        const { snapshotCount, snapshotLimit } = command.tree;
        // Refused here rather than by the backend, so the job says which limit and why, before any intent.
        if (snapshotLimit !== null && snapshotCount >= snapshotLimit) {
          throw SnapshotErrors.limitReached(volume.volumeId, command.backend.label, snapshotLimit, snapshotCount);
        }
        return [
          {
            type: 'SnapshotRequested',
            data: {
              snapshotId: command.snapshotId,
              volumeId: volume.volumeId,
              name: command.name,
              poolId: volume.poolId,
              volumeBackendName: volume.backendName,
              backendName: command.backendName,
              policyId: command.policyId ?? null,
              dueAt: command.dueAt ?? null,
              ...(command.backup ? { backup: true } : {}),
            },
          },
        ];
      }
      case 'RecordSnapshotCreated': {
        const s = requireStatus(state, ['creating'], 'record a creation');
        return [{ type: 'SnapshotCreated', data: { snapshotId: s.snapshotId, volumeId: s.volumeId, sizeBytes: command.sizeBytes } }];
      }
      case 'RecordSnapshotCreationFailed': {
        const s = requireStatus(state, ['creating'], 'record a failed creation');
        return [{ type: 'SnapshotCreationFailed', data: { snapshotId: s.snapshotId, volumeId: s.volumeId, error: command.error } }];
      }
      case 'DeleteSnapshot': {
        // A second request while one runs is answered, not swallowed: its job must end too.
        if (state.status === 'deleting') throw SnapshotErrors.deletionInProgress(state.snapshotId);
        const s = requireStatus(state, ['ready', 'error'], 'delete it', command.snapshotId);
        return [{ type: 'SnapshotDeletionRequested', data: { snapshotId: s.snapshotId, volumeId: s.volumeId } }];
      }
      case 'RecordDeletedWithVolume': {
        const s = requireStatus(state, ['creating', 'ready', 'error', 'reverting', 'deleting'], 'record its deletion with the volume');
        return [{ type: 'SnapshotDeleted', data: { snapshotId: s.snapshotId, volumeId: s.volumeId } }];
      }
      case 'RecordSnapshotDeleted': {
        const s = requireStatus(state, ['deleting'], 'record a deletion');
        return [{ type: 'SnapshotDeleted', data: { snapshotId: s.snapshotId, volumeId: s.volumeId } }];
      }
      case 'RecordSnapshotDeletionFailed': {
        const s = requireStatus(state, ['deleting'], 'record a failed deletion');
        return [{ type: 'SnapshotDeletionFailed', data: { snapshotId: s.snapshotId, volumeId: s.volumeId, error: command.error } }];
      }
      case 'RevertToSnapshot': {
        const s = requireStatus(state, ['ready'], 'revert its volume to it', command.snapshotId);
        const volume = requireVolume(command.volume, s.volumeId, false);
        if (!command.backend) throw SnapshotErrors.poolNotFound(volume.volumeId, volume.poolId);
        if (command.backend.revert === 'none') throw SnapshotErrors.revertUnsupported(s.snapshotId, command.backend.plugin);
        if (volume.hostCount > 0) throw SnapshotErrors.volumeAttached(volume.volumeId, volume.hostCount);
        if (volume.status !== 'ready') throw SnapshotErrors.volumeNotReady(volume.volumeId, volume.status, 'revert it to a snapshot');
        if (command.backend.revert === 'latest' && command.newestSnapshot !== s.backendName) {
          throw SnapshotErrors.revertNotLatest(s.snapshotId, command.backend.plugin, command.newestSnapshot ?? null);
        }
        return [{ type: 'SnapshotRevertRequested', data: { snapshotId: s.snapshotId, volumeId: s.volumeId } }];
      }
      case 'RecordSnapshotReverted': {
        const s = requireStatus(state, ['reverting'], 'record a revert');
        return [{ type: 'SnapshotReverted', data: { snapshotId: s.snapshotId, volumeId: s.volumeId } }];
      }
      case 'RecordSnapshotRevertFailed': {
        const s = requireStatus(state, ['reverting'], 'record a failed revert');
        return [{ type: 'SnapshotRevertFailed', data: { snapshotId: s.snapshotId, volumeId: s.volumeId, error: command.error } }];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'SnapshotRequested') {
      const d = event.data;
      return {
        status: 'creating',
        snapshotId: d.snapshotId,
        volumeId: d.volumeId,
        name: d.name,
        poolId: d.poolId,
        volumeBackendName: d.volumeBackendName,
        backendName: d.backendName,
        sizeBytes: null,
        policyId: d.policyId,
        dueAt: d.dueAt,
        lastError: null,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'SnapshotCreated':
        return { ...state, status: 'ready', sizeBytes: event.data.sizeBytes, lastError: null };
      case 'SnapshotCreationFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'SnapshotDeletionRequested':
        return { ...state, status: 'deleting' };
      case 'SnapshotDeleted':
        return { ...state, status: 'deleted' };
      case 'SnapshotDeletionFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'SnapshotRevertRequested':
        return { ...state, status: 'reverting' };
      case 'SnapshotReverted':
        return { ...state, status: 'ready', lastError: null };
      case 'SnapshotRevertFailed':
        return { ...state, status: 'ready', lastError: event.data.error };
      default:
        return assertUnreachable(event);
    }
  },
};

export const snapshotStreamId = (snapshotId: string) => `snapshot-${snapshotId}`;
export const SNAPSHOT_STREAM_PREFIX = 'snapshot-';
/** Newest events that leave a snapshot mid-operation: recovery finishes these. */
export const TRANSITIONAL_SNAPSHOT_EVENTS = ['SnapshotRequested', 'SnapshotDeletionRequested', 'SnapshotRevertRequested'] as const;
