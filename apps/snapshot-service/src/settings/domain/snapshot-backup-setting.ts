import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { SnapshotBackupSet } from '@strata/contracts';

export type BackupSettingEvent = { type: 'SnapshotBackupSet'; data: SnapshotBackupSet };

/** Per volume: whether its snapshots are also backed up (the StorPool guide's bypass option). Default: no. */
export type BackupSettingState = { readonly backupSnapshots: boolean };

export type BackupSettingCommand = {
  readonly type: 'SetSnapshotBackup';
  readonly volumeId: string;
  readonly backupSnapshots: boolean;
  /** The volume's status in the service's view; null when unknown. */
  readonly volumeStatus: string | null;
};

export const BackupSettingErrors = {
  volumeUnknown: (volumeId: string) =>
    new DomainError('snapshot.volume_not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist (or is deleted)`, { volumeId }),
};

/**
 * The setting is recorded even when unchanged, so that the command's job ends with the value
 * that holds; each snapshot records the value it was taken under (SnapshotRequested.backup).
 */
export const backupSettingDecider: Decider<BackupSettingState, BackupSettingCommand, BackupSettingEvent> = {
  initialState: () => ({ backupSnapshots: false }),
  decide(command) {
    if (command.volumeStatus === null || command.volumeStatus === 'deleted') throw BackupSettingErrors.volumeUnknown(command.volumeId);
    return [{ type: 'SnapshotBackupSet', data: { volumeId: command.volumeId, backupSnapshots: command.backupSnapshots } }];
  },
  evolve(state, event) {
    switch (event.type) {
      case 'SnapshotBackupSet':
        return { backupSnapshots: event.data.backupSnapshots };
      default:
        return assertUnreachable(event.type);
    }
  },
};

export const backupSettingStreamId = (volumeId: string) => `volume-settings-${volumeId}`;
