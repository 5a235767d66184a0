// Test support (named .spec.ts so only tests may import it; not a test file itself).
import { ApiExceptionFilter } from './api-exception.filter';
import { QueryPipe } from './query-pipe';

/** For the query-parameter specs: the [field, rule] pairs the API would answer 400 with, none when the query passes. */
export function queryViolations(schema: new () => object, query: unknown): string[][] {
  try {
    new QueryPipe(schema).transform(query);
    return [];
  } catch (error) {
    return (new ApiExceptionFilter().toBody(error).violations ?? []).map((v) => [v.field, v.rule]);
  }
}
