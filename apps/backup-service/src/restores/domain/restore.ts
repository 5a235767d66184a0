import { assertUnreachable, DomainError, ErrorCategory, uuidFromName, type Decider } from '@strata/kernel';
import type { ErrorInfo, RestoreCompleted, RestoreFailed, RestoreProgressed, RestoreRequested, RestoreStepRequested, RestoreTargetAttached } from '@strata/contracts';
import { BackupErrors } from '../../backups/domain/backup.errors';
import { dataStage, ENDED, newProgress, NO_DEVICE, reasonOf, stepPending, tenthOf, verdictOf, type PendingStep, type StepCommandType, type StepOutcome } from '../../backups/domain/step-outcomes';

/**
 * One restore of a backup (stream restore-<restoreId>). To a new volume: create it → attach
 * to the backup host → write the backup's chunks (in the background; all-zero chunks are
 * skipped, a new volume reads as zeros) → detach → completed. Over the original (detached)
 * volume: attach → write every chunk, zeros too → detach → completed. A failure detaches what
 * is attached, deletes a new volume (compensation) and ends in RestoreFailed.
 */

export type RestoreEvent =
  | { type: 'RestoreRequested'; data: RestoreRequested }
  | { type: 'RestoreStepRequested'; data: RestoreStepRequested }
  | { type: 'RestoreTargetAttached'; data: RestoreTargetAttached }
  | { type: 'RestoreProgressed'; data: RestoreProgressed }
  | { type: 'RestoreCompleted'; data: RestoreCompleted }
  | { type: 'RestoreFailed'; data: RestoreFailed };

export type RestoreStep = RestoreStepRequested['step'];

/** The backup as its own stream has it (the handler loads it). */
export interface BackupOfRestore {
  readonly backupId: string;
  readonly status: 'absent' | 'running' | 'completed' | 'failed' | 'deleting' | 'deleted';
  readonly volumeId: string;
  readonly sizeBytes: number;
}
/** The original volume as the service's view has it. */
export interface OriginalVolumeFacts {
  readonly volumeId: string;
  readonly poolId: string;
  readonly deleted: boolean;
  readonly hostIds: readonly string[];
}

export interface RestoreFacts {
  readonly restoreId: string;
  readonly backupId: string;
  readonly volumeId: string;
  readonly mode: 'new' | 'original';
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly stage: RestoreStep | 'data' | null;
  readonly pending: PendingStep<RestoreStep> | null;
  readonly attached: { readonly hostId: string; readonly devicePath: string } | null;
  readonly failure: ErrorInfo | null;
  readonly progressed: number;
}
export type RestoreState = { readonly status: 'absent' } | ({ readonly status: 'running' | 'completed' | 'failed' } & RestoreFacts);
type Present = Exclude<RestoreState, { status: 'absent' }>;

export type RestoreCommand =
  | {
      readonly type: 'RestoreBackup';
      readonly restoreId: string;
      readonly backupId: string;
      readonly overOriginal: boolean;
      readonly poolId?: string;
      readonly name?: string;
      readonly backup: BackupOfRestore;
      readonly original: OriginalVolumeFacts | null;
      readonly hostId: string | null;
    }
  | { readonly type: 'RecordStepOutcome'; readonly outcome: StepOutcome }
  | { readonly type: 'RecordProgress'; readonly bytesDone: number; readonly bytesTotal: number }
  | { readonly type: 'RecordDataWritten' }
  | { readonly type: 'RecordDataFailed'; readonly error: ErrorInfo };

export const restoreIds = {
  volumeId: (restoreId: string) => uuidFromName(`restore:${restoreId}:volume`),
  command: (restoreId: string, step: RestoreStep) => uuidFromName(`restore:${restoreId}:step:${step}`),
};
export const restoreStreamId = (restoreId: string) => `restore-${restoreId}`;
export const RESTORE_STREAM_PREFIX = 'restore-';

export const RESTORE_STEP_COMMANDS: Readonly<Record<RestoreStep, StepCommandType>> = {
  create: 'CreateVolume',
  attach: 'AttachVolume',
  detach: 'DetachVolume',
  delete: 'DeleteVolume',
};

export const RestoreErrors = {
  alreadyExists: (restoreId: string) =>
    new DomainError('restore.already_exists', ErrorCategory.Conflict, `restore ${restoreId} exists already`, {
      restoreId,
      violations: [{ field: 'aggregateId', rule: 'new', message: `restore ${restoreId} exists already: use a new id` }],
    }),
  volumeNotFound: (volumeId: string) =>
    new DomainError('restore.volume_not_found', ErrorCategory.NotFound, `the backup's volume ${volumeId} does not exist: restore to a new volume`, {
      volumeId,
      violations: [{ field: 'data.overOriginal', rule: 'volumeExists', message: `the original volume ${volumeId} does not exist (or is deleted)` }],
    }),
  volumeAttached: (volumeId: string, hostIds: readonly string[]) =>
    new DomainError('restore.volume_attached', ErrorCategory.IllegalState, `volume ${volumeId} is attached: detach it before restoring over it`, {
      volumeId,
      hostIds,
      violations: [{ field: 'data.overOriginal', rule: 'detached', message: `the original volume ${volumeId} is attached to ${hostIds.join(', ')}` }],
    }),
};

const step = (s: Present | RestoreFacts, name: RestoreStep, failure: ErrorInfo | null): RestoreEvent => ({
  type: 'RestoreStepRequested',
  data: { restoreId: s.restoreId, step: name, commandId: restoreIds.command(s.restoreId, name), aggregateId: s.volumeId, ...(failure ? { failure } : {}) },
});

/** After `done`: detach (when attached), delete a new volume after a failure, then the end. */
function windDown(s: Present, done: RestoreStep | 'data', exists: { attached: boolean; volume: boolean }, failure: ErrorInfo | null): RestoreEvent[] {
  if (exists.attached && done !== 'detach' && done !== 'delete') return [step(s, 'detach', failure)];
  if (failure && s.mode === 'new' && exists.volume && done !== 'delete') return [step(s, 'delete', failure)];
  if (failure) return [{ type: 'RestoreFailed', data: { restoreId: s.restoreId, error: failure } }];
  return [{ type: 'RestoreCompleted', data: { restoreId: s.restoreId, backupId: s.backupId, volumeId: s.volumeId } }];
}

function request(c: Extract<RestoreCommand, { type: 'RestoreBackup' }>, state: RestoreState): RestoreEvent[] {
  if (state.status !== 'absent') throw RestoreErrors.alreadyExists(c.restoreId);
  const b = c.backup;
  if (b.status === 'absent' || b.status === 'deleting' || b.status === 'deleted') throw BackupErrors.notFound(c.backupId, 'data.backupId');
  if (b.status !== 'completed') throw BackupErrors.notCompleted(c.backupId, b.status, 'data.backupId');
  let requested: RestoreRequested;
  if (c.overOriginal) {
    const v = c.original;
    if (!v || v.deleted) throw RestoreErrors.volumeNotFound(b.volumeId);
    if (v.hostIds.length > 0) throw RestoreErrors.volumeAttached(b.volumeId, v.hostIds);
    requested = { restoreId: c.restoreId, backupId: c.backupId, volumeId: b.volumeId, mode: 'original', poolId: v.poolId, sizeBytes: b.sizeBytes };
  } else {
    requested = { restoreId: c.restoreId, backupId: c.backupId, volumeId: restoreIds.volumeId(c.restoreId), mode: 'new', poolId: c.poolId as string, sizeBytes: b.sizeBytes };
  }
  if (!c.hostId) throw BackupErrors.hostRequired();
  return [{ type: 'RestoreRequested', data: requested }, step(factsOf(requested), requested.mode === 'new' ? 'create' : 'attach', null)];
}

const factsOf = (d: RestoreRequested): RestoreFacts => ({ ...d, stage: null, pending: null, attached: null, failure: null, progressed: 0 });

function outcome(s: Present, o: StepOutcome): RestoreEvent[] {
  if (s.status !== 'running' || !s.pending) return [];
  const pending = s.pending;
  // The original volume is not ours alone: only what our own commands caused counts.
  const verdict = verdictOf(pending, RESTORE_STEP_COMMANDS[pending.step], o, s.mode === 'new');
  if (verdict === null) return [];
  switch (pending.step) {
    case 'create':
      if (verdict === 'ok') return [step(s, 'attach', null)];
      return windDown(s, 'create', { attached: false, volume: verdict === 'failed' }, reasonOf(o, 'creating the volume'));
    case 'attach':
      if (verdict === 'ok' && o.devicePath) {
        return [{ type: 'RestoreTargetAttached', data: { restoreId: s.restoreId, volumeId: s.volumeId, hostId: o.hostId ?? '', devicePath: o.devicePath } }];
      }
      return windDown(s, 'attach', { attached: verdict === 'ok', volume: true }, verdict === 'ok' ? NO_DEVICE : reasonOf(o, 'attaching the volume'));
    case 'detach':
    case 'delete':
      // Best effort: the restore's own outcome is decided already.
      return windDown(s, pending.step, { attached: false, volume: true }, s.failure);
    default:
      return assertUnreachable(pending.step);
  }
}

export const restoreDecider: Decider<RestoreState, RestoreCommand, RestoreEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'RestoreBackup':
        return request(command, state);
      case 'RecordStepOutcome':
        return state.status === 'absent' ? [] : outcome(state, command.outcome);
      case 'RecordProgress': {
        if (state.status !== 'running' || state.stage !== 'data') return [];
        const percent = newProgress(command.bytesDone, command.bytesTotal, state.progressed);
        if (percent === null) return [];
        return [{ type: 'RestoreProgressed', data: { restoreId: state.restoreId, bytesDone: command.bytesDone, bytesTotal: command.bytesTotal, percent } }];
      }
      case 'RecordDataWritten':
        if (state.status !== 'running' || state.stage !== 'data') return [];
        return [step(state, 'detach', null)];
      case 'RecordDataFailed':
        if (state.status !== 'running' || state.stage !== 'data') return [];
        return [step(state, 'detach', command.error)];
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'RestoreRequested') return { status: 'running', ...factsOf(event.data) };
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'RestoreStepRequested': {
        const d = event.data;
        return {
          ...state,
          ...stepPending(d, state.failure),
          attached: d.step === 'detach' ? state.attached : d.step === 'delete' ? null : state.attached,
        };
      }
      case 'RestoreTargetAttached':
        return { ...state, ...dataStage(event.data) };
      case 'RestoreProgressed':
        return { ...state, progressed: tenthOf(event.data.percent) };
      case 'RestoreCompleted':
        return { ...state, status: 'completed', ...ENDED };
      case 'RestoreFailed':
        return { ...state, status: 'failed', ...ENDED, failure: event.data.error };
      default:
        return assertUnreachable(event);
    }
  },
};

export interface OutgoingRestoreCommand {
  readonly route: 'storage';
  readonly type: StepCommandType;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/** What a newly decided event sends (state: before it); a RestoreBackup carries the new volume's name. */
export function restoreCommandsFor(state: RestoreState, event: RestoreEvent, cause: RestoreCommand, hostId: string | null): OutgoingRestoreCommand[] {
  if (event.type !== 'RestoreStepRequested') return [];
  const d = event.data;
  const base = { route: 'storage' as const, commandId: d.commandId, aggregateId: d.aggregateId };
  switch (d.step) {
    case 'create': {
      if (cause.type !== 'RestoreBackup') throw new Error(`restore ${d.restoreId}: create is decided by RestoreBackup only`);
      return [{ ...base, type: 'CreateVolume', data: { name: cause.name, poolId: cause.poolId, sizeBytes: cause.backup.sizeBytes } }];
    }
    case 'attach':
      if (!hostId) throw new Error(`restore ${d.restoreId}: no backup host to attach to (STRATA_BACKUP_HOST_ID)`);
      return [{ ...base, type: 'AttachVolume', data: { hostId } }];
    case 'detach':
      return [{ ...base, type: 'DetachVolume', data: { hostId: (state.status !== 'absent' && state.attached?.hostId) || hostId } }];
    case 'delete':
      return [{ ...base, type: 'DeleteVolume', data: {} }];
    default:
      return assertUnreachable(d.step);
  }
}
