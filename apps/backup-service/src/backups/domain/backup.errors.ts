import { DomainError, ErrorCategory } from '@strata/kernel';

/** Refusals of the backup commands; each names the field the caller must change. */
export const BackupErrors = {
  alreadyExists: (backupId: string) =>
    new DomainError('backup.already_exists', ErrorCategory.Conflict, `backup ${backupId} exists already`, {
      backupId,
      violations: [{ field: 'aggregateId', rule: 'new', message: `backup ${backupId} exists already: use a new id` }],
    }),
  volumeNotFound: (volumeId: string) =>
    new DomainError('backup.volume_not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist`, {
      volumeId,
      violations: [{ field: 'data.volumeId', rule: 'exists', message: `volume ${volumeId} does not exist (or is deleted)` }],
    }),
  targetNotFound: (targetId: string) =>
    new DomainError('backup.target_not_found', ErrorCategory.NotFound, `backup target ${targetId} does not exist`, {
      targetId,
      violations: [{ field: 'data.targetId', rule: 'exists', message: `backup target ${targetId} does not exist (or is removed)` }],
    }),
  snapshotNotFound: (snapshotId: string) =>
    new DomainError('backup.snapshot_not_found', ErrorCategory.NotFound, `snapshot ${snapshotId} does not exist`, {
      snapshotId,
      violations: [{ field: 'data.snapshotId', rule: 'exists', message: `snapshot ${snapshotId} does not exist (or is not ready)` }],
    }),
  snapshotOfOtherVolume: (snapshotId: string, volumeId: string) =>
    new DomainError('backup.snapshot_of_other_volume', ErrorCategory.Validation, `snapshot ${snapshotId} is not a snapshot of volume ${volumeId}`, {
      snapshotId,
      volumeId,
      violations: [{ field: 'data.snapshotId', rule: 'ofVolume', message: `snapshot ${snapshotId} is not of volume ${volumeId}` }],
    }),
  hostRequired: () =>
    new DomainError(
      'backup.host_required',
      ErrorCategory.IllegalState,
      'the backup service has no host to attach volumes to: set STRATA_BACKUP_HOST_ID to the registered host it runs on',
      { violations: [{ field: 'STRATA_BACKUP_HOST_ID', rule: 'required', message: 'the backup host is not configured' }] },
    ),
  notFound: (backupId: string, field = 'aggregateId') =>
    new DomainError('backup.not_found', ErrorCategory.NotFound, `backup ${backupId} does not exist`, {
      backupId,
      violations: [{ field, rule: 'exists', message: `backup ${backupId} does not exist (or is deleted)` }],
    }),
  notCompleted: (backupId: string, status: string, field = 'aggregateId') =>
    new DomainError('backup.not_completed', ErrorCategory.IllegalState, `backup ${backupId} is ${status}, not completed`, {
      backupId,
      status,
      violations: [{ field, rule: 'completed', message: `backup ${backupId} is ${status}, not completed` }],
    }),
  /** ImportBackup found chunks missing or damaged: the copy on the target cannot be restored. */
  importCorrupt: (backupId: string, badChunks: readonly string[]) =>
    new DomainError('backup.corrupt', ErrorCategory.IllegalState, `backup ${backupId} on the target is damaged: ${badChunks.length} chunk(s) missing or not matching their hash`, {
      backupId,
      badChunks,
      violations: [{ field: 'data.targetId', rule: 'intact', message: `${badChunks.length} chunk(s) of backup ${backupId} are missing or damaged on the target` }],
    }),
  inProgress: (backupId: string) =>
    new DomainError('backup.in_progress', ErrorCategory.IllegalState, `backup ${backupId} is still running`, {
      backupId,
      violations: [{ field: 'aggregateId', rule: 'finished', message: `backup ${backupId} is still running: wait for it to end` }],
    }),
};
