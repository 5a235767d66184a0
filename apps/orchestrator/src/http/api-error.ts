import type { FieldViolation } from '@strata/kernel';

/** The one error shape of the API. */
export interface ApiErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly violations?: readonly FieldViolation[];
}

/** An HTTP-only refusal (access), answered as it is; domain refusals are DomainErrors. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Headers the answer carries (WWW-Authenticate on a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
