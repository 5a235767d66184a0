import type { PipeTransform } from '@nestjs/common';
import { validateAgainst } from '@strata/contracts';
import { invalidRequest } from '../errors';

/** Validates query parameters against a class-validator class; unknown ones are violations. */
export class QueryPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: new () => T) {}

  transform(value: unknown): T {
    const { value: parsed, violations } = validateAgainst(this.schema, value ?? {});
    if (violations.length) throw invalidRequest(violations);
    return parsed;
  }
}
