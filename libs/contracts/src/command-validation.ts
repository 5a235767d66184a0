import type { FieldViolation } from '@strata/kernel';
import type { Envelope } from './envelope';
import { EnvelopeSchema, validateAgainst } from './validation';

/** A command topic's commands: each type with the class that checks its data. */
export type CommandSchemas<M> = { readonly [K in keyof M]: new () => M[K] };

export type CommandOf<M> = { [K in keyof M & string]: Envelope<K, M[K]> }[keyof M & string];

export type Validation<C> = { readonly ok: true; readonly command: C } | { readonly ok: false; readonly violations: FieldViolation[] };

/**
 * The validator of one command topic: the envelope's rules, then the data's by type. Every
 * broken rule is reported at once, each naming its field.
 */
export function commandValidator<M>(schemas: CommandSchemas<M>): (envelope: Envelope<string, unknown>) => Validation<CommandOf<M>> {
  const types = Object.keys(schemas) as (keyof M & string)[];
  const isKnown = (type: unknown): type is keyof M & string => typeof type === 'string' && (types as string[]).includes(type);
  return (envelope) => {
    const { data, ...head } = envelope;
    const isPlainObject = typeof data === 'object' && data !== null && !Array.isArray(data);
    // The envelope check sees a stand-in for data: its fields are checked below, by type.
    const headCheck = validateAgainst(EnvelopeSchema, { ...head, data: isPlainObject ? {} : data });
    const violations = [...headCheck.violations];
    if (envelope.kind !== 'command' && !violations.some((v) => v.field === 'kind')) {
      violations.push({ field: 'kind', rule: 'equals', message: 'kind must be "command" on a command topic' });
    }
    if (!isKnown(envelope.type)) {
      if (!violations.some((v) => v.field === 'type')) {
        violations.push({ field: 'type', rule: 'isIn', message: `type must be one of: ${types.join(', ')}` });
      }
      return { ok: false, violations };
    }
    if (isPlainObject) {
      const dataCheck = validateAgainst(schemas[envelope.type] as new () => object, data, 'data');
      violations.push(...dataCheck.violations);
      if (violations.length === 0) return { ok: true, command: { ...envelope, data: dataCheck.value } as CommandOf<M> };
    }
    return { ok: false, violations };
  };
}
