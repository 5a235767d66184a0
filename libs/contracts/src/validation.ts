import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  validateSync,
  ValidationError,
  ValidateBy,
} from 'class-validator';
import type { FieldViolation } from '@strata/kernel';
import type { Envelope } from './envelope';

/** class-validator's IsObject accepts arrays; a command's data never is one. */
function IsNotArray(): PropertyDecorator {
  return ValidateBy({
    name: 'isObject',
    validator: { validate: (value: unknown) => !Array.isArray(value), defaultMessage: () => 'data must be an object, not an array' },
  });
}

/** The envelope's own rules; `data` is checked separately against the command type's schema. */
export class EnvelopeSchema {
  /** A random (v4) id, or a name-based (v5) one where a process must send the same command again after a crash. */
  @IsUUID('all')
  messageId!: string;

  @IsIn(['command', 'event'])
  kind!: 'command' | 'event';

  @IsString()
  @MaxLength(128)
  type!: string;

  @IsInt()
  @Min(1)
  schemaVersion!: number;

  /** Any UUID: ids derived by name (a policy's scheduled snapshot, a maintenance's move) are version 5. */
  @IsUUID('all')
  aggregateId!: string;

  @IsOptional()
  @IsInt()
  streamVersion!: number | null;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsString()
  @MaxLength(128)
  correlationId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  causationId!: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  tenant!: string | null;

  @IsObject()
  @IsNotArray()
  data!: Record<string, unknown>;
}

/** Flattens class-validator's tree into one violation per field and rule. */
export function toViolations(errors: ValidationError[], prefix = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, rule, message: message.startsWith(error.property) ? `${prefix ? prefix + '.' : ''}${message}` : message });
    }
    if (error.children?.length) out.push(...toViolations(error.children, field));
  }
  return out;
}

/** Validates a plain object against a schema class; unknown properties are violations too. */
export function validateAgainst<T extends object>(
  schema: new () => T,
  plain: unknown,
  prefix = '',
): { value: T; violations: FieldViolation[] } {
  const value = plainToInstance(schema, plain ?? {}, { enableImplicitConversion: false }) as T;
  // forbidUnknownValues is off: plainToInstance always gives the schema class, and the option
  // would refuse schemas with no fields (DeleteVolume carries none).
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  return { value, violations: toViolations(errors, prefix) };
}

export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope<string, Record<string, unknown>> }
  | { readonly ok: false; readonly reason: string };

/**
 * Turns raw bytes into an envelope, or says why it cannot. Only what cannot be answered
 * at all (not JSON, no message id) fails here; everything else is a rejection with violations.
 */
export function decodeMessage(bytes: Buffer | null): Decoded {
  if (!bytes || bytes.length === 0) return { ok: false, reason: 'empty message value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const messageId = (parsed as { messageId?: unknown }).messageId;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 128) {
    return { ok: false, reason: 'message has no messageId string, so it cannot be answered' };
  }
  return { ok: true, envelope: parsed as Envelope<string, Record<string, unknown>> };
}
