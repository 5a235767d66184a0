/**
 * The closed taxonomy of domain errors. A code is stable once published: clients,
 * jobs and events carry it, so rename never, add only.
 */
export const ErrorCategory = {
  Validation: 'validation',
  NotFound: 'not_found',
  IllegalState: 'illegal_state',
  Conflict: 'conflict',
  Capacity: 'capacity',
  Backend: 'backend',
} as const;
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/** One broken rule on one field, e.g. { field: 'data.sizeBytes', rule: 'min', message: '...' }. */
export interface FieldViolation {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** Duck-typed so that two copies of this package still recognise each other's errors. */
export function isDomainError(error: unknown): error is DomainError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as DomainError).code === 'string' &&
    typeof (error as DomainError).category === 'string' &&
    typeof (error as DomainError).message === 'string'
  );
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
