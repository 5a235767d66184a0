import type { FieldViolation } from '@strata/kernel';
import { uuidFieldOf } from '../../commands/domain/command-request';

/**
 * The host id an attach or detach body names, when it is well formed enough to look up;
 * anything else is left to the command's rules, which name the field.
 */
export function hostIdOf(body: unknown): string | undefined {
  return uuidFieldOf(body, 'hostId');
}

/** The pool id a manage body names, when it is a UUID to look up (the command's rules report the rest). */
export function poolIdOf(body: unknown): string | undefined {
  return uuidFieldOf(body, 'poolId');
}

/**
 * POST /volumes makes no volume from a snapshot: that is POST /snapshots/{id}/volumes, which
 * checks the snapshot is the caller's (the storage service knows no tenants of snapshots).
 */
export function createVolumeViolations(body: unknown): FieldViolation[] {
  const named = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.prototype.hasOwnProperty.call(body, 'fromSnapshot');
  return named
    ? [{ field: 'fromSnapshot', rule: 'whitelistValidation', message: 'property fromSnapshot should not exist: make a volume from a snapshot with POST /snapshots/{id}/volumes' }]
    : [];
}
