import type { FieldViolation } from '@strata/kernel';

/** The one error shape of the API. */
export interface ApiErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly violations?: readonly FieldViolation[];
}

/** An error the API answers as it is: status, stable code, a message safe to show. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly violations?: readonly FieldViolation[],
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return {
      statusCode: this.statusCode,
      code: this.code,
      message: this.message,
      ...(this.violations ? { violations: this.violations } : {}),
    };
  }
}

export function invalidRequest(violations: readonly FieldViolation[]): ApiError {
  const fields = [...new Set(violations.map((v) => v.field))];
  const summary = violations.map((v) => v.message).join('; ');
  return new ApiError(400, 'request.invalid', `invalid ${fields.join(', ')}: ${summary}`, violations);
}

export function notFound(resource: 'pool' | 'volume' | 'job', id: string): ApiError {
  return new ApiError(404, `${resource}.not_found`, `${resource} ${id} does not exist`);
}
