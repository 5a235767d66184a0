import { commandValidator, type CommandOf, type Validation } from '../command-validation';
import { storageCommandSchemas, type StorageCommandDataMap, type StorageCommandType } from './commands';

export type StorageCommand = CommandOf<StorageCommandDataMap>;

export type CommandValidation = Validation<StorageCommand>;

export const STORAGE_COMMAND_TYPES = Object.keys(storageCommandSchemas) as StorageCommandType[];

/** Validates a decoded envelope as a storage command: the envelope's rules, then the data's. */
export const validateStorageCommand = commandValidator(storageCommandSchemas);
