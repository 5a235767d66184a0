/**
 * The closed set of ways a backend call can fail. Services decide what to do
 * from the kind alone (retry, place elsewhere, report), so every driver must
 * translate its vendor's errors into one of these.
 */
export const BACKEND_ERROR_KINDS = [
  /** May succeed if the same call is repeated later (timeouts, EIO, busy). */
  'transient',
  /** Not enough space or quota here; another pool may still succeed. */
  'capacity',
  /** The backend already holds something different under this name. */
  'conflict',
  /** The object the call is about does not exist on the backend. */
  'not_found',
  /** The request or the configuration breaks a rule; repeating it cannot help. */
  'invalid',
  /** Fails until an operator intervenes (permissions, broken backend). */
  'terminal',
] as const;
export type BackendErrorKind = (typeof BACKEND_ERROR_KINDS)[number];

/** One broken rule on one field, e.g. { field: 'path', rule: 'isAbsolutePath', message: '...' }. */
export interface FieldViolation {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** Structured facts about a failure; never credentials or config values. */
export interface BackendErrorDetails {
  readonly violations?: readonly FieldViolation[];
  readonly [key: string]: unknown;
}

/**
 * Codes shared by every plugin, so that callers can match them without knowing
 * the backend. Plugin-specific codes are prefixed with the plugin name
 * ('file.no_space'). A code is stable once published: rename never, add only.
 */
export const BackendErrorCode = {
  ConfigInvalid: 'config.invalid',
  NameInvalid: 'name.invalid',
  SizeInvalid: 'size.invalid',
  VolumeNotFound: 'volume.not_found',
  VolumeSizeConflict: 'volume.size_conflict',
  ShrinkNotAllowed: 'volume.shrink_not_allowed',
  UnsupportedOperation: 'operation.unsupported',
} as const;

export class BackendError extends Error {
  override readonly name = 'BackendError';
  readonly details: BackendErrorDetails;

  constructor(
    readonly kind: BackendErrorKind,
    readonly code: string,
    message: string,
    options: { readonly cause?: unknown; readonly details?: BackendErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}

/**
 * Duck-typed rather than instanceof: two copies of this package (one per
 * plugin bundle, say) must still recognise each other's errors.
 */
export function isBackendError(error: unknown): error is BackendError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { kind?: unknown; code?: unknown; message?: unknown };
  return (
    typeof candidate.kind === 'string' &&
    (BACKEND_ERROR_KINDS as readonly string[]).includes(candidate.kind) &&
    typeof candidate.code === 'string' &&
    typeof candidate.message === 'string'
  );
}

/**
 * Whether repeating the same call against the same backend may succeed.
 * 'capacity' is not: the caller should place the volume elsewhere instead.
 */
export function retryable(kind: BackendErrorKind): boolean {
  switch (kind) {
    case 'transient':
      return true;
    case 'capacity':
    case 'conflict':
    case 'not_found':
    case 'invalid':
    case 'terminal':
      return false;
    default:
      return assertNever(kind);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled backend error kind: ${String(value)}`);
}
