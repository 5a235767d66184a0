import fc from 'fast-check';
import type { FieldViolation } from '@strata/kernel';
import {
  badValue,
  COMMAND_TOPICS,
  ENVELOPE_FIELDS,
  envelopeOf,
  FUZZ_SEED,
  fuzzParams,
  hostileKey,
  nearValid,
  rulesOf,
  sampleData,
  schemaFieldNames,
  violationProblem,
} from './command-arbitraries.spec';

const known = schemaFieldNames();
// Object.prototype's own names: refused as reserved keys, not as unknown ones.
const RESERVED = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

/** Validates and checks what every answer must be; returns the answer for more checks. */
function checked(validate: (typeof COMMAND_TOPICS)[number]['validate'], input: Record<string, unknown>): FieldViolation[] {
  let result: ReturnType<typeof validate>;
  try {
    result = validate(input as never);
  } catch (error) {
    throw new Error(`the validator threw on ${safeJson(input)}: ${(error as Error).stack ?? String(error)}`);
  }
  if (result.ok) return [];
  expect(result.violations.length).toBeGreaterThan(0);
  for (const v of result.violations) {
    const problem = violationProblem(v, input, known);
    if (problem) throw new Error(`${problem}\ninput: ${safeJson(input)}`);
  }
  // Stable: the same input is answered the same way.
  const again = validate(input as never);
  expect(again.ok ? [] : again.violations).toEqual(result.violations);
  return result.violations;
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
  } catch {
    return String(value);
  }
}

beforeAll(() => {
  // Printed so a failure reproduces: STRATA_FUZZ_SEED=<seed>.
  console.log(`command validation fuzz: seed ${FUZZ_SEED} (STRATA_FUZZ_SEED=${FUZZ_SEED} to repeat)`);
});

describe.each(COMMAND_TOPICS.map((t) => [t.area, t] as const))('%s command validation under bad input', (_area, topic) => {
  const types = Object.keys(topic.schemas);

  it('never throws on arbitrary envelopes and names the field and rule of every violation', () => {
    const arbitraryEnvelope = fc.dictionary(
      fc.oneof(fc.constantFrom(...ENVELOPE_FIELDS), hostileKey),
      fc.oneof(badValue, fc.anything({ maxDepth: 3 })),
      { maxKeys: 14 },
    );
    fc.assert(
      fc.property(arbitraryEnvelope, (input) => {
        const violations = checked(topic.validate, input);
        // An envelope made of noise is never a command.
        expect(violations.length).toBeGreaterThan(0);
      }),
      fuzzParams(200),
    );
  });

  it('never throws when one envelope field is broken, and names that field', () => {
    const valid = types[0];
    fc.assert(
      fc.property(fc.constantFrom(...ENVELOPE_FIELDS.filter((f) => f !== 'data')), badValue, (field, value) => {
        const input = envelopeOf(valid, {}, { [field]: value });
        const violations = checked(topic.validate, input);
        // Whether the bad value happens to pass (a null causationId) or not, a refusal of the envelope names the field.
        if (violations.length > 0 && !violations.some((v) => v.field.startsWith('data'))) {
          expect(violations.map((v) => v.field)).toContain(field);
        }
      }),
      fuzzParams(200),
    );
  });

  it('refuses an unknown type, naming the type field', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }).filter((t) => !types.includes(t)),
        fc.anything({ maxDepth: 2 }),
        (type, data) => {
          const violations = checked(topic.validate, envelopeOf(type, data));
          expect(violations).toContainEqual(expect.objectContaining({ field: 'type' }));
        },
      ),
      fuzzParams(200),
    );
  });

  it.each(types)('%s: arbitrary data never throws, and every violation names a field and a rule', (type) => {
    fc.assert(
      fc.property(fc.oneof(fc.anything({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), badValue), (data) => {
        const violations = checked(topic.validate, envelopeOf(type, data));
        if (data === null || typeof data !== 'object' || Array.isArray(data)) {
          expect(violations).toContainEqual(expect.objectContaining({ field: 'data' }));
        }
      }),
      fuzzParams(40),
    );
  });

  it.each(types)('%s: near-valid data (one field broken, missing or added) never throws and names the field', (type) => {
    const schema = topic.schemas[type];
    fc.assert(
      fc.property(nearValid(schema), fc.boolean(), ({ data, mutation }, throughJson) => {
        // Half the time through JSON, as on the wire (NaN and Infinity become null there, 1e309 Infinity).
        const payload = throughJson ? reparse(data) : data;
        if (payload === undefined) return;
        const violations = checked(topic.validate, envelopeOf(type, payload));
        if (mutation.kind === 'extra' && Object.prototype.hasOwnProperty.call(payload, mutation.field) && !isSchemaProperty(schema, mutation.field)) {
          // An unknown field is refused by name, whatever its name is (__proto__ and constructor included).
          const [field, rule] =
            mutation.field === '' ? ['data.""', 'emptyKey'] : [`data.${mutation.field}`, RESERVED.includes(mutation.field) ? 'reservedKey' : 'whitelistValidation'];
          expect(violations).toContainEqual(expect.objectContaining({ field, rule }));
        }
        // Nothing the payload carries reaches Object.prototype.
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      fuzzParams(40),
    );
  });

  it.each(types)('%s: a wrong-typed field of an otherwise valid payload is refused by name', (type) => {
    const schema = topic.schemas[type];
    // Fields under a ValidateIf are checked only in some combinations: they are left to the properties above.
    const rules = rulesOf(schema);
    const properties = [...rules.keys()].filter((p) => !rules.get(p)!.some((r) => r.type === 'conditionalValidation' && r.name !== 'isOptional'));
    if (properties.length === 0) return; // DeleteVolume and the like carry no unconditional field to break
    // A string where an object belongs, an object (or nested arrays) where a scalar or a list does.
    const wrongFor = (field: string): fc.Arbitrary<unknown> =>
      rules.get(field)!.some((r) => r.name === 'isObject' || r.type === 'nestedValidation')
        ? fc.constantFrom<unknown>('not an object', 42, [[['x']]])
        : fc.constantFrom<unknown>({ nested: { deeper: [1, 2, 3] } }, [[[{ x: 1 }]]]);
    fc.assert(
      fc.property(sampleData(schema), fc.constantFrom(...properties).chain((f) => fc.tuple(fc.constant(f), wrongFor(f))), (base, [field, value]) => {
        if (checked(topic.validate, envelopeOf(type, base)).length > 0) return; // base not valid: nothing to compare to
        const violations = checked(topic.validate, envelopeOf(type, { ...base, [field]: value }));
        expect(violations.some((v) => v.field === `data.${field}` || v.field.startsWith(`data.${field}.`))).toBe(true);
      }),
      fuzzParams(40),
    );
  });
});

function reparse(data: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(data) ?? 'null');
  } catch {
    return undefined;
  }
}

function isSchemaProperty(schema: new () => object, key: string): boolean {
  return rulesOf(schema).has(key);
}

describe('the payloads the fuzz starts from', () => {
  it('are valid for most command types, so the wrong-typed field property checks something', () => {
    // Not every generated base is valid (cross-field rules such as RegisterTemplate's kind and
    // format), but most types must yield valid ones, or the property above would check nothing.
    const all = COMMAND_TOPICS.flatMap((t) => Object.keys(t.schemas).map((type) => ({ type, topic: t })));
    const without = all.filter(({ type, topic }) => {
      const samples = fc.sample(sampleData(topic.schemas[type]), { seed: FUZZ_SEED, numRuns: 200 });
      return !samples.some((data) => topic.validate(envelopeOf(type, data) as never).ok);
    });
    console.log(`command types without a valid generated payload: ${without.map((w) => w.type).join(', ') || 'none'}`);
    expect(without.length).toBeLessThanOrEqual(Math.floor(all.length / 4));
  });
});
