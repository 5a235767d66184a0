import { commandValidator, type CommandOf, type Validation } from '../command-validation';
import { snapshotCommandSchemas, type SnapshotCommandDataMap, type SnapshotCommandType } from './commands';

export type SnapshotCommand = CommandOf<SnapshotCommandDataMap>;
export type SnapshotCommandValidation = Validation<SnapshotCommand>;
export const SNAPSHOT_COMMAND_TYPES = Object.keys(snapshotCommandSchemas) as SnapshotCommandType[];

/** Validates a decoded envelope as a snapshot command: the envelope's rules, then the data's. */
export const validateSnapshotCommand = commandValidator(snapshotCommandSchemas);
