// Support for the fuzz properties (named .spec.ts so only tests may import it; not a test file itself).
import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import type { FieldViolation } from '@strata/kernel';
import type { Validation } from '../command-validation';
import type { Envelope } from '../envelope';
import { storageCommandSchemas } from '../storage/commands';
import { snapshotCommandSchemas } from '../snapshot/commands';
import { imageCommandSchemas } from '../image/commands';
import { backupCommandSchemas } from '../backup/commands';
import { validateStorageCommand } from '../storage/validate';
import { validateSnapshotCommand } from '../snapshot/validate';
import { validateImageCommand } from '../image/validate';
import { validateBackupCommand } from '../backup/validate';

/**
 * One seed per run, printed, so a failure reproduces: STRATA_FUZZ_SEED=<seed> runs the same
 * inputs again; STRATA_FUZZ_RUNS=<n> runs every property n times instead of its default.
 */
export const FUZZ_SEED = Number(process.env.STRATA_FUZZ_SEED ?? Date.now() % 2 ** 31);
export const fuzzRuns = (defaultRuns: number): number => Number(process.env.STRATA_FUZZ_RUNS ?? defaultRuns);
export const fuzzParams = (defaultRuns: number): fc.Parameters<unknown> => ({ seed: FUZZ_SEED, numRuns: fuzzRuns(defaultRuns) });

type Schema = new () => object;
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** class-transformer's @Type records (its storage module has no type declarations at the path that loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: { findTypeMetadata(target: Schema, property: string): { typeFunction?: () => unknown } | undefined };
};
type Validator = (envelope: Envelope<string, unknown>) => Validation<Envelope>;

/** Every command topic: its validator and the schema class of each command type's data. */
export const COMMAND_TOPICS: readonly { readonly area: string; readonly validate: Validator; readonly schemas: Readonly<Record<string, Schema>> }[] = [
  { area: 'storage', validate: validateStorageCommand as Validator, schemas: storageCommandSchemas as Record<string, Schema> },
  { area: 'snapshot', validate: validateSnapshotCommand as Validator, schemas: snapshotCommandSchemas as Record<string, Schema> },
  { area: 'image', validate: validateImageCommand as Validator, schemas: imageCommandSchemas as Record<string, Schema> },
  { area: 'backup', validate: validateBackupCommand as Validator, schemas: backupCommandSchemas as Record<string, Schema> },
];

export const ENVELOPE_FIELDS = [
  'messageId',
  'kind',
  'type',
  'schemaVersion',
  'aggregateId',
  'streamVersion',
  'occurredAt',
  'correlationId',
  'causationId',
  'tenant',
  'data',
] as const;

/** The class-validator rules of a schema, by property. */
export function rulesOf(schema: Schema): Map<string, ValidationMetadata[]> {
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false)) {
    byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  }
  return byProperty;
}

/** The class of a nested property (class-transformer's @Type), if it has one. */
function nestedSchema(schema: Schema, property: string): Schema | undefined {
  const meta = defaultMetadataStorage.findTypeMetadata(schema, property);
  const type = meta?.typeFunction?.();
  return typeof type === 'function' && type !== Object && type !== Array ? (type as Schema) : undefined;
}

/** Every property name any command schema knows, at any depth: a violation's field is made of these (or of input keys). */
export function schemaFieldNames(): Set<string> {
  const names = new Set<string>(ENVELOPE_FIELDS);
  const seen = new Set<Schema>();
  const visit = (schema: Schema): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    for (const property of rulesOf(schema).keys()) {
      names.add(property);
      const nested = nestedSchema(schema, property);
      if (nested) visit(nested);
    }
  };
  for (const topic of COMMAND_TOPICS) Object.values(topic.schemas).forEach(visit);
  return names;
}

const isOptional = (rules: ValidationMetadata[]): boolean => rules.some((r) => r.type === 'conditionalValidation');
const rule = (rules: ValidationMetadata[], name: string): ValidationMetadata | undefined => rules.find((r) => r.name === name);

/**
 * A best-effort valid value for one property, read from its rules: the base the near-valid
 * payloads mutate. Properties whose rules this cannot satisfy (cross-field rules) leave the
 * base invalid, which the properties below tolerate: they never assume the base passes.
 */
function sampleValue(schema: Schema, property: string, rules: ValidationMetadata[], depth: number): fc.Arbitrary<unknown> {
  const each = (r: ValidationMetadata | undefined) => r?.each === true;
  const isIn = rule(rules, 'isIn');
  const isArray = rule(rules, 'isArray') ?? (isIn && each(isIn) ? isIn : undefined);
  const scalar = (): fc.Arbitrary<unknown> => {
    if (isIn) return fc.constantFrom(...(isIn.constraints[0] as unknown[]));
    if (rule(rules, 'isUuid')) return fc.uuid({ version: 4 });
    if (rule(rules, 'isBoolean')) return fc.boolean();
    if (rule(rules, 'isISO8601') || rule(rules, 'isDateString')) return fc.constant('2026-11-21T06:00:00.000Z');
    if (rule(rules, 'isInt') || rule(rules, 'isNumber') || rule(rules, 'min') || rule(rules, 'max')) {
      const min = Number(rule(rules, 'min')?.constraints[0] ?? 1);
      const max = Number(rule(rules, 'max')?.constraints[0] ?? min + 1000);
      return fc.integer({ min: Math.ceil(min), max: Math.max(Math.ceil(min), Math.min(Math.floor(max), Math.ceil(min) + 1_000_000)) });
    }
    const matches = rule(rules, 'matches');
    const maxLength = Number(rule(rules, 'maxLength')?.constraints[0] ?? 64);
    if (matches && matches.constraints[0] instanceof RegExp) {
      return fc.stringMatching(new RegExp(matches.constraints[0].source)).filter((s) => s.length > 0 && s.length <= maxLength);
    }
    if (rule(rules, 'isObject') || rules.some((r) => r.type === 'nestedValidation')) {
      const nested = nestedSchema(schema, property);
      return nested && depth < 3 ? sampleData(nested, depth + 1) : fc.constant({});
    }
    return fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
  };
  if (isArray) return fc.array(scalar(), { minLength: 1, maxLength: 2 });
  return scalar();
}

/** A best-effort valid data object for a schema: required properties always, optional ones sometimes. */
export function sampleData(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = [...rulesOf(schema)].map(([property, rules]) => ({ property, rules, optional: isOptional(rules) }));
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const { property, rules } of entries) model[property] = sampleValue(schema, property, rules, depth);
  const requiredKeys = entries.filter((e) => !e.optional).map((e) => e.property);
  return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
}

export function envelopeOf(type: string, data: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    messageId: 'd7c9b0f4-36a1-4b0c-9f5e-2a3c4d5e6f70',
    kind: 'command',
    type,
    schemaVersion: 1,
    aggregateId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11',
    streamVersion: null,
    occurredAt: '2026-11-21T06:00:00.000Z',
    correlationId: 'corr-1',
    causationId: null,
    tenant: 'acme',
    data,
    ...over,
  };
}

/** Values that break a field's rules in the ways senders get them wrong. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e309,
    -1e309,
    2 ** 53 + 1,
    0.5,
    '',
    ' ',
    '1e309',
    'NaN',
    '\u0000',
    '\ud800',
    '𝕊𝕥𝕣𝕒𝕥𝕒',
    'é'.normalize('NFD'),
    '../../etc/passwd',
    "'; DROP TABLE events; --",
    'x'.repeat(100_000),
    [],
    [null],
    {},
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}}'),
    { constructor: { prototype: { polluted: true } } },
  ),
  // Nesting far past any schema's (class-transformer recurses through it).
  fc.constantFrom(1, 40, 5000).map((depth) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown),
  fc.constantFrom(40, 5000).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.double(),
  fc.bigInt().map((b) => b.toString()),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** Keys a sender should not be able to smuggle in; JSON.parse makes them own properties. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'data', 'a.b', '0', '\u0000', '🙂'),
  fc.string({ minLength: 1, maxLength: 20 }),
);

export type Mutation =
  | { readonly kind: 'replace'; readonly field: string; readonly value: unknown }
  | { readonly kind: 'remove'; readonly field: string }
  | { readonly kind: 'extra'; readonly field: string; readonly value: unknown };

/** A valid-looking data object with exactly one field broken, removed or added. */
export function nearValid(schema: Schema): fc.Arbitrary<{ data: Record<string, unknown>; mutation: Mutation }> {
  const properties = [...rulesOf(schema).keys()];
  return sampleData(schema).chain((base) => {
    const options: fc.Arbitrary<Mutation>[] = [fc.record({ kind: fc.constant('extra' as const), field: hostileKey, value: badValue })];
    if (properties.length > 0) {
      options.push(fc.record({ kind: fc.constant('replace' as const), field: fc.constantFrom(...properties), value: badValue }));
      options.push(fc.record({ kind: fc.constant('remove' as const), field: fc.constantFrom(...properties) }));
    }
    return fc.oneof(...options).map((mutation) => ({ data: applyMutation(base, mutation), mutation }));
  });
}

/** Applies a mutation through JSON where possible, as the bytes on the wire would be. */
function applyMutation(base: Record<string, unknown>, mutation: Mutation): Record<string, unknown> {
  const data: Record<string, unknown> = { ...base };
  if (mutation.kind === 'remove') delete data[mutation.field];
  // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it.
  else Object.defineProperty(data, mutation.field, { value: mutation.value, enumerable: true, writable: true, configurable: true });
  return data;
}

/** Whether a dotted field names a path of the input; keys may hold dots themselves, so every split is tried. */
function isPathOf(input: unknown, field: string): boolean {
  if (input === null || typeof input !== 'object') return false;
  return Object.keys(input).some((key) => {
    // An empty key is named "" in violations.
    const name = key === '' ? '""' : key;
    if (field === name) return true;
    return field.startsWith(`${name}.`) && isPathOf((input as Record<string, unknown>)[key], field.slice(name.length + 1));
  });
}

/**
 * What every violation must be: a field naming where (a path of the input, or of the schema),
 * a rule (class-validator's name of it) and a message. Returns what is wrong, or undefined.
 */
export function violationProblem(v: FieldViolation, input: unknown, known: ReadonlySet<string>): string | undefined {
  if (typeof v.field !== 'string' || v.field.length === 0) return `no field: ${JSON.stringify(v)}`;
  if (typeof v.rule !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(v.rule)) return `no rule: ${JSON.stringify(v)}`;
  if (typeof v.message !== 'string' || v.message.trim().length === 0) return `no message: ${JSON.stringify(v)}`;
  if (isPathOf(input, v.field)) return undefined;
  const segments = v.field.split('.');
  if (!(ENVELOPE_FIELDS as readonly string[]).includes(segments[0])) return `field outside the envelope: ${v.field}`;
  const unknownSegment = segments.find((s) => !known.has(s) && !/^\d+$/.test(s));
  return unknownSegment === undefined ? undefined : `field ${v.field} is neither in the input nor in the schema (${unknownSegment})`;
}
