import type { FieldViolation } from '@strata/kernel';
import type { Envelope } from '../envelope';
import { EnvelopeSchema, validateAgainst } from '../validation';
import { storageCommandSchemas, StorageCommandDataMap, StorageCommandType } from './commands';

export type StorageCommand = {
  [K in StorageCommandType]: Envelope<K, StorageCommandDataMap[K]>;
}[StorageCommandType];

export type CommandValidation =
  | { readonly ok: true; readonly command: StorageCommand }
  | { readonly ok: false; readonly violations: FieldViolation[] };

export const STORAGE_COMMAND_TYPES = Object.keys(storageCommandSchemas) as StorageCommandType[];

function isStorageCommandType(type: unknown): type is StorageCommandType {
  return typeof type === 'string' && (STORAGE_COMMAND_TYPES as string[]).includes(type);
}

/** Validates a decoded envelope as a storage command: the envelope's rules, then the data's. */
export function validateStorageCommand(envelope: Envelope<string, unknown>): CommandValidation {
  const { data, ...head } = envelope;
  const isPlainObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  // The envelope check sees a stand-in for data: its fields are checked below, by type.
  const headCheck = validateAgainst(EnvelopeSchema, { ...head, data: isPlainObject ? {} : data });
  const violations = [...headCheck.violations];
  if (envelope.kind !== 'command' && !violations.some((v) => v.field === 'kind')) {
    violations.push({ field: 'kind', rule: 'equals', message: 'kind must be "command" on a command topic' });
  }
  if (!isStorageCommandType(envelope.type)) {
    if (!violations.some((v) => v.field === 'type')) {
      violations.push({
        field: 'type',
        rule: 'isIn',
        message: `type must be one of: ${STORAGE_COMMAND_TYPES.join(', ')}`,
      });
    }
    return { ok: false, violations };
  }
  if (isPlainObject) {
    const dataCheck = validateAgainst(storageCommandSchemas[envelope.type] as new () => object, data, 'data');
    violations.push(...dataCheck.violations);
    if (violations.length === 0) {
      return { ok: true, command: { ...envelope, data: dataCheck.value } as StorageCommand };
    }
  }
  return { ok: false, violations };
}
