import type { FieldViolation } from '@strata/kernel';
import type { SnapshotRow } from '../../read-model/domain/rows';

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

/** The fields POST /snapshots/{id}/volumes takes; the rest of CreateVolume comes from the snapshot. */
const VOLUME_FROM_SNAPSHOT_FIELDS: ReadonlySet<string> = new Set(['name', 'sizeBytes']);

/**
 * The CreateVolume data of POST /snapshots/{id}/volumes ({ name, sizeBytes? }): a clone of the
 * snapshot on the snapshot's own pool, from the snapshot and the volume it was taken of,
 * as large as the snapshot unless sizeBytes says more. Any other field is refused (the pool
 * and the source are the snapshot's); a body that is not an object is left to the command's rules.
 */
export function volumeFromSnapshotData(body: unknown, snapshot: SnapshotRow): { data: unknown; violations: FieldViolation[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { data: body, violations: [] };
  const fields = body as Record<string, unknown>;
  const violations: FieldViolation[] = Object.keys(fields)
    .filter((field) => !VOLUME_FROM_SNAPSHOT_FIELDS.has(field))
    .map((field) => ({ field, rule: 'whitelistValidation', message: `property ${field} should not exist: the snapshot names the pool and the source` }));
  const data = {
    name: fields.name,
    sizeBytes: fields.sizeBytes === undefined ? snapshot.sizeBytes : fields.sizeBytes,
    poolId: snapshot.poolId,
    fromSnapshot: { snapshotId: snapshot.id, volumeId: snapshot.volumeId },
  };
  return { data, violations };
}

/** What CreateVmSnapshot's volumeIds names that can be looked up: its distinct UUIDs, when it is a list the command may take. */
export function vmSnapshotVolumeIdsOf(body: unknown, maxVolumes = 32): string[] {
  const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).volumeIds : undefined;
  if (!Array.isArray(value) || value.length > maxVolumes) return [];
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return [...new Set(value.filter((v): v is string => typeof v === 'string' && uuid.test(v)).map((v) => v.toLowerCase()))];
}
