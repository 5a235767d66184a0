import type { PipeTransform } from '@nestjs/common';
import { validateAgainst } from '@strata/contracts';
import { invalidRequest } from '../errors';

/**
 * Validates a request body against a class-validator class: every broken rule is a
 * violation naming its field and rule; unknown fields are violations too. For bodies that
 * are not commands (those are checked by the receiving service's own rules).
 */
export class BodyPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: new () => T) {}

  transform(value: unknown): T {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidRequest([{ field: 'body', rule: 'isObject', message: 'the body must be a JSON object' }]);
    }
    const { value: parsed, violations } = validateAgainst(this.schema, value);
    if (violations.length) throw invalidRequest(violations);
    return parsed;
  }
}
