import { DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { BackupTargetAdded, BackupTargetKind, BackupTargetRemoved } from '@strata/contracts';

export type BackupTargetEvent =
  | { type: 'BackupTargetAdded'; data: BackupTargetAdded }
  | { type: 'BackupTargetRemoved'; data: BackupTargetRemoved };

export type BackupTargetState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active' | 'removed';
      readonly targetId: string;
      readonly name: string;
      readonly kind: BackupTargetKind;
      /** The settings with credentials redacted (the sealed ones live in backup.target_secrets). */
      readonly config: Readonly<Record<string, unknown>>;
    };

/** The commands as the decider sees them: the probe's result and the backup count already gathered. */
export type BackupTargetCommand =
  | { readonly type: 'AddBackupTarget'; readonly target: BackupTargetAdded }
  | {
      readonly type: 'RemoveBackupTarget';
      readonly targetId: string;
      /** Backups kept on the target (completed and not deleted, or still running). */
      readonly backupCount: number;
    };

export const backupTargetStreamId = (targetId: string): string => `backup-target-${targetId}`;

export const BackupTargetErrors = {
  alreadyExists: (targetId: string) =>
    new DomainError('backuptarget.already_exists', ErrorCategory.Conflict, `backup target ${targetId} already exists`, { targetId }),
  notFound: (targetId: string) =>
    new DomainError('backuptarget.not_found', ErrorCategory.NotFound, `backup target ${targetId} does not exist`, { targetId }),
  inUse: (targetId: string, backupCount: number) =>
    new DomainError(
      'backuptarget.in_use',
      ErrorCategory.IllegalState,
      `backup target ${targetId} keeps ${backupCount} backup(s): delete them before removing the target`,
      { targetId, backupCount },
    ),
};

export const backupTargetDecider: Decider<BackupTargetState, BackupTargetCommand, BackupTargetEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'AddBackupTarget':
        // A removed target's id stays taken: its events (and backups' references) still name it.
        if (state.status !== 'absent') throw BackupTargetErrors.alreadyExists(command.target.targetId);
        return [{ type: 'BackupTargetAdded', data: command.target }];
      case 'RemoveBackupTarget':
        if (state.status !== 'active') throw BackupTargetErrors.notFound(command.targetId);
        if (command.backupCount > 0) throw BackupTargetErrors.inUse(command.targetId, command.backupCount);
        return [{ type: 'BackupTargetRemoved', data: { targetId: command.targetId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'BackupTargetAdded':
        return { status: 'active', ...event.data };
      case 'BackupTargetRemoved':
        return state.status === 'absent' ? state : { ...state, status: 'removed' };
    }
  },
};
