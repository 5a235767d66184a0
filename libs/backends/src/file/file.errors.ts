import { BackendError, isBackendError, type BackendErrorKind } from '@strata/plugin-sdk';

interface ErrnoRule {
  readonly kind: BackendErrorKind;
  readonly code: string;
  readonly description: string;
}

/** How each errno the file backend can meet maps into the taxonomy. */
export const FILE_ERRNO_RULES: Readonly<Record<string, ErrnoRule>> = {
  ENOSPC: { kind: 'capacity', code: 'file.no_space', description: 'no space left on device' },
  EDQUOT: { kind: 'capacity', code: 'file.quota_exceeded', description: 'disk quota exceeded' },
  EACCES: { kind: 'terminal', code: 'file.permission_denied', description: 'permission denied' },
  EPERM: { kind: 'terminal', code: 'file.permission_denied', description: 'operation not permitted' },
  EROFS: { kind: 'terminal', code: 'file.read_only', description: 'read-only file system' },
  ENOENT: { kind: 'not_found', code: 'file.not_found', description: 'no such file or directory' },
  EEXIST: { kind: 'conflict', code: 'file.exists', description: 'already exists' },
  EISDIR: { kind: 'conflict', code: 'file.is_directory', description: 'is a directory' },
  ENOTDIR: { kind: 'invalid', code: 'file.not_directory', description: 'a component of the path is not a directory' },
  EFBIG: { kind: 'invalid', code: 'file.too_large', description: 'larger than this file system allows' },
  EINVAL: { kind: 'invalid', code: 'file.invalid_argument', description: 'invalid argument' },
  ENAMETOOLONG: { kind: 'invalid', code: 'file.name_too_long', description: 'file name too long' },
  EIO: { kind: 'transient', code: 'file.io_error', description: 'input/output error' },
  EAGAIN: { kind: 'transient', code: 'file.busy', description: 'resource temporarily unavailable' },
  EBUSY: { kind: 'transient', code: 'file.busy', description: 'device or resource busy' },
  EINTR: { kind: 'transient', code: 'file.interrupted', description: 'interrupted system call' },
  ETIMEDOUT: { kind: 'transient', code: 'file.timed_out', description: 'timed out (NFS server not answering?)' },
  // A restarted NFS server invalidates handles; a fresh lookup on retry usually works.
  ESTALE: { kind: 'transient', code: 'file.stale_handle', description: 'stale NFS file handle' },
  EMFILE: { kind: 'transient', code: 'file.too_many_open_files', description: 'too many open files in this process' },
  ENFILE: { kind: 'transient', code: 'file.too_many_open_files', description: 'too many open files in the system' },
};

/** Unknown failures need a person to look at them: retrying blindly could repeat damage. */
const UNEXPECTED: ErrnoRule = { kind: 'terminal', code: 'file.unexpected', description: 'unexpected error' };

/**
 * Translates whatever a file-system call threw into a BackendError naming the
 * operation, the path and the errno, e.g. "create volume file /pool/vol-1.raw:
 * no space left on device (ENOSPC)". BackendErrors pass through unchanged.
 */
export function toFileBackendError(error: unknown, operation: string, path: string): BackendError {
  if (isBackendError(error)) return error;
  const errno = errnoOf(error);
  const rule = ruleFor(errno);
  return new BackendError(rule.kind, rule.code, `${operation} ${path}: ${reasonOf(error)}`, {
    cause: error,
    details: { operation, path, errno: errno ?? null },
  });
}

/** Why a call failed, in words, e.g. "permission denied (EACCES)". */
export function reasonOf(error: unknown): string {
  const errno = errnoOf(error);
  return errno !== undefined ? `${ruleFor(errno).description} (${errno})` : messageOf(error);
}

function ruleFor(errno: string | undefined): ErrnoRule {
  return (errno !== undefined ? FILE_ERRNO_RULES[errno] : undefined) ?? UNEXPECTED;
}

export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
