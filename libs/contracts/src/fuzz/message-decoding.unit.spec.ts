import fc from 'fast-check';
import { decodeMessage } from '../validation';
import { validateStorageCommand } from '../storage/validate';
import { FUZZ_SEED, fuzzParams } from './command-arbitraries.spec';

/** What the command intakes do with raw Kafka bytes: decode, or say why not; never throw. */
function decoded(bytes: Buffer | null): ReturnType<typeof decodeMessage> {
  try {
    return decodeMessage(bytes);
  } catch (error) {
    throw new Error(`decodeMessage threw on ${bytes?.toString('base64')}: ${String(error)}`);
  }
}

/** The rule decodeMessage promises: an answerable message is a JSON object with a messageId string (1-128 characters), all of it text PostgreSQL can store. */
function answerable(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const id = (parsed as { messageId?: unknown }).messageId;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 && storable(parsed);
}

/** Whether every key and string of parsed JSON is text PostgreSQL can store: no U+0000, no unpaired surrogate. */
function storable(parsed: unknown): boolean {
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000') || !(value as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) pending.push(key, item);
    }
  }
  return true;
}

beforeAll(() => {
  console.log(`message decoding fuzz: seed ${FUZZ_SEED} (STRATA_FUZZ_SEED=${FUZZ_SEED} to repeat)`);
});

describe('decoding raw command bytes under bad input', () => {
  it('never throws on arbitrary bytes, and classifies what is not an envelope as unparseable with a reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (raw) => {
        const bytes = Buffer.from(raw);
        const result = decoded(bytes);
        expect(result.ok).toBe(answerable(bytes.toString('utf8')));
        if (!result.ok) expect(result.reason.trim().length).toBeGreaterThan(0);
      }),
      fuzzParams(1000),
    );
  });

  it('never throws on arbitrary JSON, and decodes exactly the objects that carry a messageId', () => {
    const messageId = fc.oneof(fc.uuid(), fc.string({ maxLength: 200 }), fc.anything({ maxDepth: 1 }));
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).chain((o) => messageId.map((id) => ({ ...o, messageId: id }))),
    );
    fc.assert(
      fc.property(json, fc.constantFrom('utf8', 'utf16le', 'latin1') as fc.Arbitrary<BufferEncoding>, (value, encoding) => {
        const text = JSON.stringify(value) ?? 'null';
        const bytes = Buffer.from(text, encoding);
        const result = decoded(bytes);
        expect(result.ok).toBe(answerable(bytes.toString('utf8')));
        if (result.ok) {
          // Decoded is not valid: the command validator still answers it, never throws, and names fields.
          const validation = validateStorageCommand(result.envelope);
          if (!validation.ok) for (const v of validation.violations) expect(v.field.length + v.rule.length).toBeGreaterThan(1);
        } else {
          expect(result.reason.trim().length).toBeGreaterThan(0);
        }
      }),
      fuzzParams(1000),
    );
  });

  it('classifies empty, null, truncated and non-object messages as unparseable', () => {
    const envelope = JSON.stringify({ messageId: 'd7c9b0f4-36a1-4b0c-9f5e-2a3c4d5e6f70', kind: 'command', type: 'DeleteVolume', data: {} });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: envelope.length - 1 }), (cut) => {
        expect(decoded(Buffer.from(envelope.slice(0, cut))).ok).toBe(false);
      }),
      fuzzParams(200),
    );
    for (const bytes of [null, Buffer.alloc(0), Buffer.from('null'), Buffer.from('[]'), Buffer.from('"x"'), Buffer.from('42'), Buffer.from('{}'), Buffer.from('\uFEFF{}')]) {
      const result = decoded(bytes);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).not.toBe('');
    }
    expect(decoded(Buffer.from(envelope)).ok).toBe(true);
  });

  it('survives hostile but well-formed JSON: huge strings, deep nesting, reserved keys', () => {
    const id = 'd7c9b0f4-36a1-4b0c-9f5e-2a3c4d5e6f70';
    const hostile = [
      `{"messageId":"${id}","data":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      `{"messageId":"${id}","__proto__":{"kind":"command"},"constructor":{"prototype":{}}}`,
      `{"messageId":"${'x'.repeat(129)}"}`,
      `{"messageId":"${id}","data":"${'x'.repeat(1_000_000)}"}`,
    ];
    const outcomes = hostile.map((text) => decoded(Buffer.from(text)));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    for (const o of outcomes) if (o.ok) expect(validateStorageCommand(o.envelope).ok).toBe(false);
    // Nothing reached Object.prototype.
    expect(({} as Record<string, unknown>).kind).toBeUndefined();
  });
});
