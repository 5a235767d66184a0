import {
  BACKUP_COMMAND_TYPES,
  ENVELOPE_SCHEMA_VERSION,
  IMAGE_COMMAND_TYPES,
  SNAPSHOT_COMMAND_TYPES,
  validateBackupCommand,
  validateImageCommand,
  validateSnapshotCommand,
  validateStorageCommand,
  type BackupCommand,
  type BackupCommandType,
  type Envelope,
  type ImageCommand,
  type ImageCommandType,
  type SnapshotCommand,
  type SnapshotCommandType,
  type StorageCommand,
  type StorageCommandType,
  type TopicKey,
  type Validation,
} from '@strata/contracts';
import type { FieldViolation } from '@strata/kernel';
import type { JobRow } from '../../read-model/domain/rows';

/** Every command the orchestrator sends: the storage, snapshot, image and backup services'. */
export type CommandType = StorageCommandType | SnapshotCommandType | ImageCommandType | BackupCommandType;
export type Command = StorageCommand | SnapshotCommand | ImageCommand | BackupCommand;

const snapshotCommandTypes: ReadonlySet<string> = new Set(SNAPSHOT_COMMAND_TYPES);
const imageCommandTypes: ReadonlySet<string> = new Set(IMAGE_COMMAND_TYPES);
const backupCommandTypes: ReadonlySet<string> = new Set(BACKUP_COMMAND_TYPES);

/** The command topic a type belongs on, and the rules its receiver checks it with. */
export interface CommandRoute {
  readonly topic: Extract<TopicKey, 'storageCommands' | 'snapshotCommands' | 'imageCommands' | 'backupCommands'>;
  readonly validate: (envelope: Envelope<string, unknown>) => Validation<Command>;
}

const storageRoute: CommandRoute = { topic: 'storageCommands', validate: validateStorageCommand };
const snapshotRoute: CommandRoute = { topic: 'snapshotCommands', validate: validateSnapshotCommand };
const imageRoute: CommandRoute = { topic: 'imageCommands', validate: validateImageCommand };
const backupRoute: CommandRoute = { topic: 'backupCommands', validate: validateBackupCommand };

/** Snapshot, image and backup commands go to their services; every other command to the storage service. */
export function commandRouteOf(type: CommandType): CommandRoute {
  if (imageCommandTypes.has(type)) return imageRoute;
  if (backupCommandTypes.has(type)) return backupRoute;
  return snapshotCommandTypes.has(type) ? snapshotRoute : storageRoute;
}

/** A REST request for a command, with the id, time and aggregate already chosen. */
export interface CommandRequest {
  readonly type: CommandType;
  /** The command's message id, which is also its job id. */
  readonly commandId: string;
  readonly aggregateId: string;
  readonly occurredAt: Date;
  /** Owner of the resource (X-Tenant); null for an operator. */
  readonly tenant: string | null;
  /** From X-Correlation-Id; the command's own id when the caller sent none. */
  readonly correlationId: string | null;
  /** The request body as parsed, unchecked. */
  readonly data: unknown;
}

export type CommandCheck =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly violations: FieldViolation[] };

/** The envelope exactly as any other publisher would put it on the command topic. */
export function buildCommandEnvelope(request: CommandRequest): Envelope<CommandType, unknown> {
  return {
    messageId: request.commandId,
    kind: 'command',
    type: request.type,
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    aggregateId: request.aggregateId,
    streamVersion: null,
    occurredAt: request.occurredAt.toISOString(),
    correlationId: request.correlationId ?? request.commandId,
    causationId: null,
    tenant: request.tenant,
    data: request.data,
  };
}

/** Envelope fields a REST caller controls, by the name the caller knows them by. */
const restNames: Readonly<Record<string, string>> = {
  data: 'body',
  tenant: 'X-Tenant',
  correlationId: 'X-Correlation-Id',
  aggregateId: 'id',
};

function restField(field: string): string {
  if (field.startsWith('data.')) return field.slice('data.'.length);
  return restNames[field] ?? field;
}

function restMessage(field: string, renamed: string, message: string): string {
  if (field === 'data' && /must be an object/.test(message)) return 'body must be a JSON object';
  return message.startsWith(field) ? renamed + message.slice(field.length) : message;
}

/**
 * Violations as the REST caller sees them: `data.sizeBytes` is the body's `sizeBytes`,
 * `tenant` is the X-Tenant header.
 */
export function toRequestViolations(envelope: Envelope<string, unknown>, violations: readonly FieldViolation[]): FieldViolation[] {
  return violations.map((v) => {
    const field = restField(v.field);
    return { field, rule: v.rule, message: restMessage(v.field, field, v.message) };
  });
}

/**
 * Checks the command with the very rules its receiver (the storage, snapshot, image or backup service)
 * applies to it, so a request accepted here is not rejected there for its shape.
 */
export function checkCommand(envelope: Envelope<CommandType, unknown>): CommandCheck {
  const result = commandRouteOf(envelope.type).validate(envelope);
  if (result.ok) return { ok: true, command: envelope as Command };
  return { ok: false, violations: toRequestViolations(envelope, result.violations) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A field of a request body that names a resource by id (a pool, a host), when it is a
 * UUID the read model can be asked about; anything else is left to the command's rules,
 * which name the field.
 */
export function uuidFieldOf(body: unknown, field: string): string | undefined {
  const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined;
}

/** The job row a submitted command starts with. */
export function acceptedJob(command: Command): JobRow {
  const at = new Date(command.occurredAt);
  return {
    id: command.messageId,
    commandType: command.type,
    aggregateId: command.aggregateId,
    tenant: command.tenant,
    status: 'accepted',
    result: null,
    error: null,
    createdAt: at,
    updatedAt: at,
  };
}
