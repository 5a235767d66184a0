import pRetry from 'p-retry';
import { DomainError, ErrorCategory } from '@strata/kernel';
import type { ErrorInfo } from '@strata/contracts';
import { isBackendError, type BackendError } from '@strata/plugin-sdk';

/** How a failed backend call is written into an event: code and message, never config. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (isBackendError(error)) return { code: error.code, category: `backend.${error.kind}`, message: error.message };
  return { code: 'backend.unexpected', category: 'backend.terminal', message: (error as Error)?.message ?? String(error) };
}

export function isTransient(error: unknown): boolean {
  return isBackendError(error) && error.kind === 'transient';
}

/**
 * A backend error met while validating a command (before any intent is recorded)
 * becomes a rejection that keeps the backend's field violations.
 */
export function toDomainError(error: BackendError, fieldPrefix = ''): DomainError {
  const violations = (error.details.violations ?? []).map((v) => ({ ...v, field: `${fieldPrefix}${v.field}` }));
  const category = error.kind === 'invalid' ? ErrorCategory.Validation : error.kind === 'capacity' ? ErrorCategory.Capacity : ErrorCategory.Backend;
  return new DomainError(error.code, category, error.message, { violations });
}

/**
 * Retries transient failures a few times in place; anything else, or a transient failure
 * that outlasts the retries, is thrown to the caller.
 */
export function withBackendRetry<T>(call: () => Promise<T>): Promise<T> {
  return pRetry(call, {
    retries: 3,
    minTimeout: 200,
    maxTimeout: 2000,
    shouldRetry: ({ error }) => isTransient(error),
  });
}
