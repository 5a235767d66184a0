import { BackendError, isBackendError, type BackendErrorKind } from '@strata/plugin-sdk';

/** An error reply of the StorPool API: `{error:{name, descr, transient}}` with its HTTP status. */
export class StorPoolApiError extends Error {
  override readonly name = 'StorPoolApiError';
  constructor(
    readonly status: number,
    readonly errorName: string,
    readonly descr: string,
    readonly transient: boolean,
  ) {
    super(`${errorName}: ${descr}`);
  }
}

/** Where a failed call was made: the words that go into the message ("create volume strata-1"). */
export interface CallContext {
  readonly operation: string;
  readonly object: string;
  /** What objectDoesNotExist means here when it is not the object itself (the template on create, say). */
  readonly notFound?: { readonly kind: BackendErrorKind; readonly code: string };
}

/**
 * Vendor error names and what they mean to callers. objectDoesNotExist and
 * objectExists are the vendor's (python-storpool, CloudStack); the rest are
 * the names this project's simulator uses for rules whose real name is not
 * published, mapped by meaning.
 */
const BY_NAME: Readonly<Record<string, { kind: BackendErrorKind; code: string }>> = {
  objectDoesNotExist: { kind: 'not_found', code: 'storpool.object_not_found' },
  objectExists: { kind: 'conflict', code: 'storpool.object_exists' },
  objectAttached: { kind: 'conflict', code: 'storpool.object_attached' },
  invalidParam: { kind: 'invalid', code: 'storpool.invalid_param' },
  insufficientResources: { kind: 'capacity', code: 'storpool.insufficient_resources' },
};

/**
 * Translates whatever a StorPool call threw into the taxonomy, naming the
 * operation and object and quoting the vendor's error name and description
 * (never the token: the client never puts it into an error).
 */
export function toStorPoolError(error: unknown, context: CallContext, api: string): BackendError {
  if (isBackendError(error)) {
    // Transport failures from JsonHttpClient: keep kind and code, say what we were doing.
    return new BackendError(error.kind, error.code, `${context.operation} ${context.object}: ${error.message}`, {
      cause: error,
      details: { ...error.details, operation: context.operation, object: context.object },
    });
  }
  if (!(error instanceof StorPoolApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new BackendError('terminal', 'storpool.unexpected', `${context.operation} ${context.object}: unexpected failure: ${message}`, {
      cause: error,
      details: { operation: context.operation, object: context.object },
    });
  }
  const details = {
    operation: context.operation,
    object: context.object,
    status: error.status,
    vendorError: error.errorName,
    transient: error.transient,
  };
  const vendor = `${error.errorName}: ${error.descr}`;
  if (error.status === 401) {
    return new BackendError(
      'terminal',
      'storpool.auth_failed',
      `${context.operation} ${context.object}: authentication failed at the StorPool API ${api} (HTTP 401, ${vendor}); check the pool's auth token`,
      { cause: error, details },
    );
  }
  let rule = BY_NAME[error.errorName];
  if (error.errorName === 'objectDoesNotExist' && context.notFound !== undefined) rule = context.notFound;
  if (error.transient) rule = { kind: 'transient', code: 'storpool.transient' };
  rule ??=
    error.status >= 500
      ? { kind: 'transient', code: 'storpool.server_error' }
      : error.status >= 400
        ? { kind: 'invalid', code: 'storpool.request_refused' }
        : { kind: 'terminal', code: 'storpool.api_error' };
  return new BackendError(rule.kind, rule.code, `${context.operation} ${context.object}: StorPool refused it (HTTP ${error.status}, ${vendor})`, {
    cause: error,
    details,
  });
}
