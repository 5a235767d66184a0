import type { ErrorInfo } from '../storage/events';
import type { BackupTargetKind } from './commands';

/** Payloads of the events the backup service publishes on the backup events topic. */

export interface BackupTargetAdded {
  readonly targetId: string;
  readonly name: string;
  readonly kind: BackupTargetKind;
  /** The settings with every credential replaced by "***" (the sealed originals stay in backup.target_secrets). */
  readonly config: Readonly<Record<string, unknown>>;
}
export interface BackupTargetRemoved {
  readonly targetId: string;
}

/** Intent: back the volume up. Chunk size and the chain are fixed here, so a resumed backup continues the same one. */
export interface BackupRequested {
  readonly backupId: string;
  readonly volumeId: string;
  readonly targetId: string;
  /** The snapshot read; taken for this backup when snapshotTaken. */
  readonly snapshotId: string;
  readonly snapshotTaken: boolean;
  readonly kind: 'full' | 'incremental';
  /** The backup this one follows in the volume's chain on this target (null for a full one). */
  readonly parentBackupId: string | null;
  readonly chunkSizeBytes: number;
  /** The pool of the snapshot read (the temporary clone is made there) and the volume's size: what the backup reads. */
  readonly poolId: string;
  readonly sizeBytes: number;
}
/**
 * A step of a backup or restore that another service carries out: the command sent (through the
 * outbox, in the same transaction). step: 'snapshot' (CreateSnapshot), 'clone' (a temporary
 * volume from the snapshot), 'attach' / 'detach' (to and from the backup host), 'cleanup'
 * (the temporary volume's deletion), 'release' (DeleteSnapshot of a snapshot taken for the backup).
 */
export interface BackupStepRequested {
  readonly backupId: string;
  readonly step: 'snapshot' | 'clone' | 'attach' | 'detach' | 'cleanup' | 'release';
  readonly commandId: string;
  readonly aggregateId: string;
  /** Set on the compensation steps after a failure: the reason BackupFailed will carry once they are done. */
  readonly failure?: ErrorInfo;
}
/** The temporary clone is attached to the backup host: the data step reads devicePath (and is run again from here after a crash). */
export interface BackupSourceAttached {
  readonly backupId: string;
  readonly volumeId: string;
  readonly hostId: string;
  readonly devicePath: string;
}
/** The data step ended: the engine wrote and verified the manifest and the missing chunks (figures as in BackupCompleted). */
export interface BackupDataWritten {
  readonly backupId: string;
  readonly chunks: number;
  readonly newChunks: number;
  readonly reusedChunks: number;
  readonly zeroChunks: number;
  readonly bytesWritten: number;
  readonly manifestSha256: string;
}
export interface BackupProgressed {
  readonly backupId: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly percent: number;
}
export interface BackupCompleted {
  readonly backupId: string;
  readonly volumeId: string;
  readonly sizeBytes: number;
  /** Chunks in the manifest; of them: written now, already on the target, all-zero (not stored). */
  readonly chunks: number;
  readonly newChunks: number;
  readonly reusedChunks: number;
  readonly zeroChunks: number;
  /** Bytes written to the target by this backup (compressed chunks and the manifest). */
  readonly bytesWritten: number;
  readonly manifestSha256: string;
}
export interface BackupFailed {
  readonly backupId: string;
  readonly error: ErrorInfo;
}
export interface BackupVerified {
  readonly backupId: string;
  readonly chunksChecked: number;
}
/** Code backup.corrupt: the chunks that are missing or whose content does not hash to their name. */
export interface BackupVerificationFailed {
  readonly backupId: string;
  readonly error: ErrorInfo;
  readonly badChunks: readonly string[];
}
export interface BackupDeletionRequested {
  readonly backupId: string;
}
export interface BackupDeleted {
  readonly backupId: string;
}

export interface RestoreRequested {
  readonly restoreId: string;
  readonly backupId: string;
  /** The volume written: a new one (made by the restore) or the backup's own. */
  readonly volumeId: string;
  readonly mode: 'new' | 'original';
  readonly poolId: string;
  readonly sizeBytes: number;
}
export interface RestoreStepRequested {
  readonly restoreId: string;
  /** 'delete': the new volume of a failed restore is deleted (compensation). */
  readonly step: 'create' | 'attach' | 'detach' | 'delete';
  readonly commandId: string;
  readonly aggregateId: string;
  /** Set on the steps after a failure: the reason RestoreFailed will carry once they are done. */
  readonly failure?: ErrorInfo;
}
/** The volume written is attached to the backup host: the data step writes devicePath (and is run again from here after a crash). */
export interface RestoreTargetAttached {
  readonly restoreId: string;
  readonly volumeId: string;
  readonly hostId: string;
  readonly devicePath: string;
}
export interface RestoreProgressed {
  readonly restoreId: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly percent: number;
}
export interface RestoreCompleted {
  readonly restoreId: string;
  readonly backupId: string;
  readonly volumeId: string;
}
export interface RestoreFailed {
  readonly restoreId: string;
  readonly error: ErrorInfo;
}

/** A schedule's rules as recorded (the snapshot policies' schedule shape, validated). */
export interface BackupScheduleCreated {
  readonly scheduleId: string;
  readonly volumeId: string;
  readonly targetId: string;
  readonly schedule: Readonly<Record<string, unknown>>;
  readonly retention: number;
  /** When it was created (the service's clock): runs are due only after it. */
  readonly createdAt: string;
}
/** A due run recorded before its backup is asked for (backup id derived from schedule and due time), so a restart neither skips nor doubles it. */
export interface BackupScheduleRunRecorded {
  readonly scheduleId: string;
  readonly dueAt: string;
  readonly backupId: string;
}
export interface BackupScheduleDeleted {
  readonly scheduleId: string;
}
export interface BackupGarbageCollected {
  readonly targetId: string;
  readonly manifests: number;
  readonly chunksKept: number;
  readonly chunksDeleted: number;
  /** Unreferenced chunks younger than the grace period, left for a later round (a backup may be writing them). */
  readonly chunksTooYoung: number;
}
export interface BackupGarbageCollectionFailed {
  readonly targetId: string;
  readonly error: ErrorInfo;
}
/** A backup read from a target's manifest and checked chunk by chunk: restorable here. */
export interface BackupImported {
  readonly backupId: string;
  readonly targetId: string;
  /** The volume in the installation that made it (may be unknown here). */
  readonly volumeId: string;
  readonly kind: 'full' | 'incremental';
  readonly parentBackupId: string | null;
  readonly sizeBytes: number;
  readonly chunks: number;
  readonly manifestSha256: string;
  readonly createdAt: string;
}
