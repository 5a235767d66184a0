import { assertUnreachable, uuidFromName, type Decider } from '@strata/kernel';
import type {
  BackupCompleted,
  BackupDataWritten,
  BackupDeleted,
  BackupDeletionRequested,
  BackupFailed,
  BackupImported,
  BackupProgressed,
  BackupRequested,
  BackupSourceAttached,
  BackupStepRequested,
  BackupVerificationFailed,
  BackupVerified,
  ErrorInfo,
} from '@strata/contracts';
import { BackupErrors } from './backup.errors';
import { dataStage, ENDED, newProgress, NO_DEVICE, reasonOf, stepPending, tenthOf, verdictOf, type PendingStep, type StepCommandType, type StepOutcome } from './step-outcomes';

/**
 * One backup of a volume to a target (stream backup-<backupId>): a process across services.
 * snapshot (unless one is given) → a temporary clone of it → attached to the backup host →
 * the data (chunks to the target, in the background) → detach → delete the clone → delete a
 * snapshot taken for it → completed. A failure anywhere undoes what exists in the same order
 * and ends in BackupFailed. Each step's command goes out through the outbox with the event
 * that decides it (commandsFor), under an id derived from the backup and the step.
 */

export type BackupEvent =
  | { type: 'BackupRequested'; data: BackupRequested }
  | { type: 'BackupStepRequested'; data: BackupStepRequested }
  | { type: 'BackupSourceAttached'; data: BackupSourceAttached }
  | { type: 'BackupProgressed'; data: BackupProgressed }
  | { type: 'BackupDataWritten'; data: BackupDataWritten }
  | { type: 'BackupCompleted'; data: BackupCompleted }
  | { type: 'BackupFailed'; data: BackupFailed }
  | { type: 'BackupVerified'; data: BackupVerified }
  | { type: 'BackupVerificationFailed'; data: BackupVerificationFailed }
  | { type: 'BackupDeletionRequested'; data: BackupDeletionRequested }
  | { type: 'BackupDeleted'; data: BackupDeleted }
  | { type: 'BackupImported'; data: BackupImported };

export type BackupStep = BackupStepRequested['step'];
/** Where a running backup is: waiting for a step's outcome, or on the data. */
export type BackupStage = BackupStep | 'data';

/** The volume as the service's view has it (null: never seen). */
export interface VolumeFacts {
  readonly volumeId: string;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly deleted: boolean;
  readonly status: string;
}
export interface SnapshotFacts {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly poolId: string;
  readonly status: string;
}

export const CHUNK_SIZE_BYTES = 4 * 2 ** 20;

export interface BackupFacts {
  readonly backupId: string;
  readonly volumeId: string;
  readonly targetId: string;
  readonly snapshotId: string;
  readonly snapshotTaken: boolean;
  readonly kind: 'full' | 'incremental';
  readonly parentBackupId: string | null;
  readonly chunkSizeBytes: number;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly cloneId: string;
  readonly stage: BackupStage | null;
  readonly pending: PendingStep<BackupStep> | null;
  /** The clone's CreateVolume was sent and not refused: it may exist, so it is deleted in the end. */
  readonly cloneMade: boolean;
  readonly snapshotMade: boolean;
  readonly attached: { readonly hostId: string; readonly devicePath: string } | null;
  readonly failure: ErrorInfo | null;
  readonly result: Omit<BackupDataWritten, 'backupId'> | null;
  /** The last tenth reported by BackupProgressed (0..100). */
  readonly progressed: number;
  /** Made by another installation and imported from the target (BackupImported): no snapshot, clone or pool here. */
  readonly imported: boolean;
}

/** What ImportBackup reads of a manifest on the target (the engine has checked its shape). */
export interface ManifestFacts {
  readonly volumeId: string;
  readonly kind: 'full' | 'incremental';
  readonly parentBackupId: string | null;
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  readonly chunks: readonly (string | null)[];
  readonly createdAt: string;
}

export type BackupStatus = 'running' | 'completed' | 'failed' | 'deleting' | 'deleted';
export type BackupState = { readonly status: 'absent' } | ({ readonly status: BackupStatus } & BackupFacts);
type Present = Exclude<BackupState, { status: 'absent' }>;

export type BackupCommand =
  | {
      readonly type: 'CreateBackup';
      readonly backupId: string;
      readonly volumeId: string;
      readonly targetId: string;
      readonly snapshotId?: string;
      readonly full?: boolean;
      /** What the handler found: the view of volumes and snapshots, the targets, the chain, the configured host. */
      readonly volume: VolumeFacts | null;
      readonly snapshot: SnapshotFacts | null;
      readonly targetExists: boolean;
      readonly latestCompletedBackupId: string | null;
      readonly hostId: string | null;
    }
  | { readonly type: 'RecordStepOutcome'; readonly outcome: StepOutcome }
  | { readonly type: 'RecordProgress'; readonly bytesDone: number; readonly bytesTotal: number }
  | { readonly type: 'RecordDataWritten'; readonly result: Omit<BackupDataWritten, 'backupId'> }
  | { readonly type: 'RecordDataFailed'; readonly error: ErrorInfo }
  | { readonly type: 'RecordVerification'; readonly ok: boolean; readonly chunksChecked: number; readonly badChunks: readonly string[] }
  | { readonly type: 'DeleteBackup'; readonly backupId: string }
  | { readonly type: 'RecordManifestDeleted' }
  | {
      readonly type: 'ImportBackup';
      readonly backupId: string;
      readonly targetId: string;
      /** What the handler found: whether the target is active, its manifest (null: none), its sha256 and every chunk read back. */
      readonly targetExists: boolean;
      readonly manifest: ManifestFacts | null;
      readonly manifestSha256: string;
      readonly verification: { readonly ok: boolean; readonly badChunks: readonly string[] };
    };

/** Deterministic ids: a decision replayed after a crash sends the same commands, which the receivers' inboxes drop. */
export const backupIds = {
  snapshotId: (backupId: string) => uuidFromName(`backup:${backupId}:snapshot`),
  cloneId: (backupId: string) => uuidFromName(`backup:${backupId}:clone`),
  command: (backupId: string, step: BackupStep) => uuidFromName(`backup:${backupId}:step:${step}`),
};
export const backupStreamId = (backupId: string) => `backup-${backupId}`;
export const BACKUP_STREAM_PREFIX = 'backup-';
/** The temporary clone's name: readable, and tells an operator what it is for. */
export const cloneName = (backupId: string) => `backup-${backupId.slice(0, 8)}-tmp`;

/** The command type each step sends. */
export const STEP_COMMANDS: Readonly<Record<BackupStep, StepCommandType>> = {
  snapshot: 'CreateSnapshot',
  clone: 'CreateVolume',
  attach: 'AttachVolume',
  detach: 'DetachVolume',
  cleanup: 'DeleteVolume',
  release: 'DeleteSnapshot',
};

function step(s: Present | BackupFacts, name: BackupStep, failure: ErrorInfo | null): BackupEvent {
  const aggregateId = name === 'snapshot' || name === 'release' ? s.snapshotId : s.cloneId;
  return {
    type: 'BackupStepRequested',
    data: { backupId: s.backupId, step: name, commandId: backupIds.command(s.backupId, name), aggregateId, ...(failure ? { failure } : {}) },
  };
}

/**
 * What comes after `done` on the way out (success or failure): detach, delete the clone,
 * release a snapshot taken for the backup, in that order and only for what exists; then the
 * end (BackupCompleted, or BackupFailed with the first failure's reason).
 */
function windDown(s: Present, done: 'data' | 'attach' | 'clone' | 'snapshot' | 'detach' | 'cleanup' | 'release', exists: { attached: boolean; clone: boolean; snapshot: boolean }, failure: ErrorInfo | null): BackupEvent[] {
  const order: BackupStep[] = ['detach', 'cleanup', 'release'];
  const from = order.indexOf(done as BackupStep) + 1;
  const needed: Record<string, boolean> = { detach: exists.attached, cleanup: exists.clone, release: s.snapshotTaken && exists.snapshot };
  for (const next of order.slice(from)) if (needed[next]) return [step(s, next, failure)];
  if (failure) return [{ type: 'BackupFailed', data: { backupId: s.backupId, error: failure } }];
  const r = s.result ?? { chunks: 0, newChunks: 0, reusedChunks: 0, zeroChunks: 0, bytesWritten: 0, manifestSha256: '' };
  return [{ type: 'BackupCompleted', data: { backupId: s.backupId, volumeId: s.volumeId, sizeBytes: s.sizeBytes, ...r } }];
}

function create(command: Extract<BackupCommand, { type: 'CreateBackup' }>, state: BackupState): BackupEvent[] {
  if (state.status !== 'absent') throw BackupErrors.alreadyExists(command.backupId);
  const volume = command.volume;
  if (!volume || volume.deleted || volume.status === 'failed' || volume.status === 'deleted') throw BackupErrors.volumeNotFound(command.volumeId);
  if (!command.targetExists) throw BackupErrors.targetNotFound(command.targetId);
  let poolId = volume.poolId;
  if (command.snapshotId !== undefined) {
    const snap = command.snapshot;
    if (!snap || snap.status !== 'available') throw BackupErrors.snapshotNotFound(command.snapshotId);
    if (snap.volumeId !== command.volumeId) throw BackupErrors.snapshotOfOtherVolume(command.snapshotId, command.volumeId);
    poolId = snap.poolId;
  }
  if (!command.hostId) throw BackupErrors.hostRequired();
  const parent = command.full ? null : command.latestCompletedBackupId;
  const requested: BackupRequested = {
    backupId: command.backupId,
    volumeId: command.volumeId,
    targetId: command.targetId,
    snapshotId: command.snapshotId ?? backupIds.snapshotId(command.backupId),
    snapshotTaken: command.snapshotId === undefined,
    kind: parent ? 'incremental' : 'full',
    parentBackupId: parent,
    chunkSizeBytes: CHUNK_SIZE_BYTES,
    poolId,
    sizeBytes: volume.sizeBytes,
  };
  const facts = factsOf(requested);
  return [{ type: 'BackupRequested', data: requested }, step(facts, requested.snapshotTaken ? 'snapshot' : 'clone', null)];
}

function factsOf(d: BackupRequested): BackupFacts {
  return {
    ...d,
    cloneId: backupIds.cloneId(d.backupId),
    stage: null,
    pending: null,
    cloneMade: false,
    snapshotMade: !d.snapshotTaken,
    attached: null,
    failure: null,
    result: null,
    progressed: 0,
    imported: false,
  };
}

/**
 * ImportBackup: a backup this installation does not know, whose manifest is on the target and
 * whose every chunk reads back and hashes right, becomes a completed backup here (so
 * RestoreBackup and DeleteBackup take it like one made here).
 */
function importBackup(c: Extract<BackupCommand, { type: 'ImportBackup' }>, state: BackupState): BackupEvent[] {
  if (state.status !== 'absent') throw BackupErrors.alreadyExists(c.backupId);
  if (!c.targetExists) throw BackupErrors.targetNotFound(c.targetId);
  const m = c.manifest;
  if (!m) throw BackupErrors.notFound(c.backupId, 'data.targetId');
  if (!c.verification.ok) throw BackupErrors.importCorrupt(c.backupId, c.verification.badChunks);
  return [
    {
      type: 'BackupImported',
      data: {
        backupId: c.backupId,
        targetId: c.targetId,
        volumeId: m.volumeId,
        kind: m.kind,
        parentBackupId: m.parentBackupId,
        sizeBytes: m.sizeBytes,
        chunks: m.chunks.length,
        manifestSha256: c.manifestSha256,
        createdAt: m.createdAt,
      },
    },
  ];
}

function importedFacts(d: BackupImported): BackupFacts {
  return {
    backupId: d.backupId,
    volumeId: d.volumeId,
    targetId: d.targetId,
    // Nothing of the making is here: no snapshot, clone or pool of this installation.
    snapshotId: '',
    snapshotTaken: false,
    kind: d.kind,
    parentBackupId: d.parentBackupId,
    chunkSizeBytes: 0,
    poolId: '',
    sizeBytes: d.sizeBytes,
    cloneId: '',
    stage: null,
    pending: null,
    cloneMade: false,
    snapshotMade: false,
    attached: null,
    failure: null,
    result: { chunks: d.chunks, newChunks: 0, reusedChunks: 0, zeroChunks: 0, bytesWritten: 0, manifestSha256: d.manifestSha256 },
    progressed: 100,
    imported: true,
  };
}

/** A step's outcome: the next step, the data, or the way out. */
function outcome(s: Present, o: StepOutcome): BackupEvent[] {
  if (s.status !== 'running' || !s.pending) return [];
  const pending = s.pending;
  const verdict = verdictOf(pending, STEP_COMMANDS[pending.step], o);
  if (verdict === null) return [];
  const exists = { attached: s.attached !== null, clone: s.cloneMade, snapshot: s.snapshotMade };
  switch (pending.step) {
    case 'snapshot':
      if (verdict === 'ok') return [step(s, 'clone', null)];
      return windDown(s, 'snapshot', { ...exists, snapshot: false }, reasonOf(o, 'the snapshot'));
    case 'clone':
      if (verdict === 'ok') return [step(s, 'attach', null)];
      // A refused CreateVolume made nothing; a failed one may have left a volume record to delete.
      return windDown(s, 'clone', { ...exists, clone: verdict === 'failed' }, reasonOf(o, 'the temporary clone'));
    case 'attach':
      if (verdict === 'ok') {
        // Attached, but with nothing to read: detached again on the way out.
        if (!o.devicePath) return windDown(s, 'attach', { ...exists, attached: true }, NO_DEVICE);
        return [{ type: 'BackupSourceAttached', data: { backupId: s.backupId, volumeId: s.cloneId, hostId: o.hostId ?? '', devicePath: o.devicePath } }];
      }
      return windDown(s, 'attach', { ...exists, attached: false }, reasonOf(o, 'attaching the clone'));
    case 'detach':
    case 'cleanup':
    case 'release':
      // Undoing is best effort: a failure here is not the backup's (its data is written or it failed already); the next undo follows.
      return windDown(s, pending.step, { ...exists, attached: false }, s.failure);
    default:
      return assertUnreachable(pending.step);
  }
}

export const backupDecider: Decider<BackupState, BackupCommand, BackupEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateBackup':
        return create(command, state);
      case 'RecordStepOutcome':
        return state.status === 'absent' ? [] : outcome(state, command.outcome);
      case 'RecordProgress': {
        if (state.status !== 'running' || state.stage !== 'data') return [];
        const percent = newProgress(command.bytesDone, command.bytesTotal, state.progressed);
        if (percent === null) return [];
        return [{ type: 'BackupProgressed', data: { backupId: state.backupId, bytesDone: command.bytesDone, bytesTotal: command.bytesTotal, percent } }];
      }
      case 'RecordDataWritten': {
        if (state.status !== 'running' || state.stage !== 'data') return [];
        const written: BackupEvent = { type: 'BackupDataWritten', data: { backupId: state.backupId, ...command.result } };
        return [written, step(state, 'detach', null)];
      }
      case 'RecordDataFailed': {
        if (state.status !== 'running' || state.stage !== 'data') return [];
        return [step(state, 'detach', command.error)];
      }
      case 'RecordVerification': {
        checkVerifiable(state);
        const s = state as Present;
        if (command.ok) return [{ type: 'BackupVerified', data: { backupId: s.backupId, chunksChecked: command.chunksChecked } }];
        return [
          {
            type: 'BackupVerificationFailed',
            data: {
              backupId: s.backupId,
              error: { code: 'backup.corrupt', category: 'backend', message: `${command.badChunks.length} of the backup's chunks are missing or damaged` },
              badChunks: command.badChunks,
            },
          },
        ];
      }
      case 'DeleteBackup': {
        switch (state.status) {
          case 'absent':
            throw BackupErrors.notFound(command.backupId);
          case 'running':
            throw BackupErrors.inProgress(command.backupId);
          case 'deleting':
          case 'deleted':
            return [];
          case 'completed':
          case 'failed':
            return [{ type: 'BackupDeletionRequested', data: { backupId: state.backupId } }];
          default:
            return assertUnreachable(state);
        }
      }
      case 'RecordManifestDeleted':
        return state.status === 'deleting' ? [{ type: 'BackupDeleted', data: { backupId: state.backupId } }] : [];
      case 'ImportBackup':
        return importBackup(command, state);
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'BackupRequested') return { status: 'running', ...factsOf(event.data) };
    if (event.type === 'BackupImported') return { status: 'completed', ...importedFacts(event.data) };
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'BackupStepRequested': {
        const d = event.data;
        return {
          ...state,
          ...stepPending(d, state.failure),
          // The step before a clone is the snapshot's; the clone may exist once asked for (a refusal goes straight past cleanup).
          snapshotMade: state.snapshotMade || d.step === 'clone',
          cloneMade: state.cloneMade || d.step === 'attach' || d.step === 'cleanup',
          attached: d.step === 'detach' ? state.attached : d.step === 'cleanup' || d.step === 'release' ? null : state.attached,
        };
      }
      case 'BackupSourceAttached':
        return { ...state, ...dataStage(event.data) };
      case 'BackupProgressed':
        return { ...state, progressed: tenthOf(event.data.percent) };
      case 'BackupDataWritten': {
        const { backupId: _b, ...result } = event.data;
        return { ...state, result };
      }
      case 'BackupCompleted':
        return { ...state, status: 'completed', ...ENDED };
      case 'BackupFailed':
        return { ...state, status: 'failed', ...ENDED, failure: event.data.error };
      case 'BackupVerified':
      case 'BackupVerificationFailed':
        return state;
      case 'BackupDeletionRequested':
        return { ...state, status: 'deleting' };
      case 'BackupDeleted':
        return { ...state, status: 'deleted' };
      default:
        return assertUnreachable(event);
    }
  },
};

/** VerifyBackup reads a completed backup only; the handler checks before running the engine. */
export function checkVerifiable(state: BackupState, backupId?: string): void {
  if (state.status === 'absent' || state.status === 'deleted' || state.status === 'deleting') throw BackupErrors.notFound(backupId ?? (state.status === 'absent' ? '' : state.backupId));
  if (state.status !== 'completed') throw BackupErrors.notCompleted(state.backupId, state.status);
}

/** A command to another service that an event calls for; the application wraps it in an envelope. */
export interface OutgoingCommand {
  readonly route: 'storage' | 'snapshot';
  readonly type: StepCommandType;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/**
 * What a newly decided event sends, given the state it applies to (the state after the
 * events before it in the same decision) and the backup host (configuration).
 */
export function commandsFor(state: BackupState, event: BackupEvent, hostId: string | null): OutgoingCommand[] {
  if (event.type !== 'BackupStepRequested' || state.status === 'absent') return [];
  const d = event.data;
  const base = { commandId: d.commandId, aggregateId: d.aggregateId };
  switch (d.step) {
    case 'snapshot':
      return [{ ...base, route: 'snapshot', type: 'CreateSnapshot', data: { volumeId: state.volumeId, name: `backup-${state.backupId.slice(0, 8)}` } }];
    case 'clone':
      return [
        {
          ...base,
          route: 'storage',
          type: 'CreateVolume',
          data: { name: cloneName(state.backupId), poolId: state.poolId, sizeBytes: state.sizeBytes, fromSnapshot: { snapshotId: state.snapshotId, volumeId: state.volumeId } },
        },
      ];
    case 'attach':
      if (!hostId) throw new Error(`backup ${state.backupId}: no backup host to attach to (STRATA_BACKUP_HOST_ID)`);
      return [{ ...base, route: 'storage', type: 'AttachVolume', data: { hostId } }];
    case 'detach':
      return [{ ...base, route: 'storage', type: 'DetachVolume', data: { hostId: state.attached?.hostId || hostId } }];
    case 'cleanup':
      return [{ ...base, route: 'storage', type: 'DeleteVolume', data: {} }];
    case 'release':
      return [{ ...base, route: 'snapshot', type: 'DeleteSnapshot', data: {} }];
    default:
      return assertUnreachable(d.step);
  }
}
