import type { FieldViolation } from '@strata/kernel';

/** Fields the path names, refused in the body rather than overridden. */
const NAMED_BY_PATH = ['volumeId', 'snapshotId'] as const;

/**
 * The CreateTemplateFromVolume data of POST /volumes/{id}/templates and POST
 * /snapshots/{id}/templates ({ name, zoneId, osType?, description?, public? }): the body with
 * the volume (and the snapshot) of the path. A body that is not an object is left as it is,
 * for the command's rules to name.
 */
export function templateFromVolumeData(body: unknown, source: { volumeId: string; snapshotId?: string }): { data: unknown; violations: FieldViolation[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { data: body, violations: [] };
  const violations: FieldViolation[] = NAMED_BY_PATH.filter((field) => Object.prototype.hasOwnProperty.call(body, field)).map((field) => ({
    field,
    rule: 'whitelistValidation',
    message: `property ${field} should not exist: the path names the ${source.snapshotId ? 'snapshot' : 'volume'}`,
  }));
  return { data: { ...(body as Record<string, unknown>), ...source }, violations };
}
