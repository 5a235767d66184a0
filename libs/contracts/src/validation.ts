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

/**
 * Keys class-transformer reads as the object's type or prototype, or skips as methods: an
 * object holding a `constructor` makes it throw, `__proto__` or `toString` would be dropped
 * unseen instead of refused. No schema has them.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
/** Deeper than any command or request nests; deeper input would only feed the recursion below and class-transformer's. */
const MAX_DEPTH = 32;

/**
 * A copy of plain input without reserved or empty keys and cut at MAX_DEPTH, each refusal
 * recorded as a violation. `field` is null at the root, where keys have no prefix.
 */
function screened(value: unknown, field: string | null, depth: number, out: FieldViolation[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) {
    out.push({ field: field ?? '', rule: 'maxDepth', message: `${field ?? 'the value'} nests deeper than ${MAX_DEPTH} levels` });
    return null;
  }
  const at = (key: string) => (field === null ? key : `${field}.${key}`);
  if (Array.isArray(value)) return value.map((item, i) => screened(item, at(String(i)), depth + 1, out));
  // Only parsed JSON is screened: a Date or a class instance an in-process caller passes stays as it is.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (RESERVED_KEYS.has(key)) out.push({ field: at(key), rule: 'reservedKey', message: `${at(key)} is a reserved name and not accepted as a field` });
    // Named "" so the field stays readable (class-validator would name it with nothing at all).
    else if (key === '') out.push({ field: at('""'), rule: 'emptyKey', message: `${at('""')}: a field name must not be empty` });
    else copy[key] = screened(item, at(key), depth + 1, out);
  }
  return copy;
}

/** Validates a plain object against a schema class; unknown properties are violations too. */
export function validateAgainst<T extends object>(
  schema: new () => T,
  plain: unknown,
  prefix = '',
): { value: T; violations: FieldViolation[] } {
  const refused: FieldViolation[] = [];
  const input = screened(plain ?? {}, prefix || null, 0, refused);
  const value = plainToInstance(schema, input, { enableImplicitConversion: false }) as T;
  // forbidUnknownValues is off: plainToInstance always gives the schema class, and the option
  // would refuse schemas with no fields (DeleteVolume carries none).
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  return { value, violations: [...refused, ...toViolations(errors, prefix)] };
}

export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope<string, Record<string, unknown>> }
  | { readonly ok: false; readonly reason: string };

// U+0000, or half of a surrogate pair (JSON.parse lets "\ud800" through as it is).
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What in parsed JSON PostgreSQL's text and jsonb refuse, in any key or string: a command
 * holding it could not even be answered (its rejection is stored), and every redelivery
 * would fail the same way. Iterative, as the JSON may nest deeper than the stack allows.
 */
function findUnstorableText(parsed: unknown): string | undefined {
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      const found = UNSTORABLE.exec(value);
      if (found) return found[0] === '\u0000' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate';
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) pending.push(key, item);
    }
  }
  return undefined;
}

/**
 * Turns raw bytes into an envelope, or says why it cannot. Only what cannot be answered
 * at all (not JSON, no message id, text PostgreSQL cannot store) fails here; everything else
 * is a rejection with violations.
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
  const unstorable = findUnstorableText(parsed);
  if (unstorable) return { ok: false, reason: `message holds ${unstorable}, which PostgreSQL cannot store, so it cannot be answered` };
  const messageId = (parsed as { messageId?: unknown }).messageId;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 128) {
    return { ok: false, reason: 'message has no messageId string, so it cannot be answered' };
  }
  return { ok: true, envelope: parsed as Envelope<string, Record<string, unknown>> };
}
