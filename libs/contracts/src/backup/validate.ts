import { commandValidator, type CommandOf, type Validation } from '../command-validation';
import { backupCommandSchemas, type BackupCommandDataMap, type BackupCommandType } from './commands';

export type BackupCommand = CommandOf<BackupCommandDataMap>;
export type BackupCommandValidation = Validation<BackupCommand>;
export const BACKUP_COMMAND_TYPES = Object.keys(backupCommandSchemas) as BackupCommandType[];

/** Validates a decoded envelope as a backup command: the envelope's rules, then the data's. */
export const validateBackupCommand = commandValidator(backupCommandSchemas);
