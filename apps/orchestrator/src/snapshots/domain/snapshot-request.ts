import type { FieldViolation } from '@strata/kernel';

/**
 * The CreateSnapshot data of POST /volumes/{id}/snapshots: the body (`{ name }`) with the
 * volume of the path. A body that is not an object is left as it is, for the command's
 * rules to name; a `volumeId` in the body is refused rather than overridden, since the
 * path names the volume.
 */
export function createSnapshotData(body: unknown, volumeId: string): { data: unknown; violations: FieldViolation[] } {
  return withVolumeOfPath(body, volumeId);
}

/**
 * A command's data for a POST under /volumes/{id}: the body with the volume of the path
 * (CreateSnapshot, CreateSnapshotPolicy). A `volumeId` in the body is refused.
 */
export function withVolumeOfPath(body: unknown, volumeId: string): { data: unknown; violations: FieldViolation[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { data: body, violations: [] };
  const violations: FieldViolation[] = Object.prototype.hasOwnProperty.call(body, 'volumeId')
    ? [{ field: 'volumeId', rule: 'whitelistValidation', message: 'property volumeId should not exist: the path names the volume' }]
    : [];
  return { data: { ...(body as Record<string, unknown>), volumeId }, violations };
}
