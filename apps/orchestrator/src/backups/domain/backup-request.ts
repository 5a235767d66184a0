import type { FieldViolation } from '@strata/kernel';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Body = Record<string, unknown>;
const isBody = (body: unknown): body is Body => typeof body === 'object' && body !== null && !Array.isArray(body);

export interface CommandData {
  readonly data: unknown;
  readonly violations: FieldViolation[];
}

/**
 * A command's data for a POST whose path names a resource the body would also name: the body
 * with the path's ids. An id in the body is refused rather than overridden. A body that is
 * not an object is left as it is, for the command's rules to name.
 */
export function withIdsOfPath(body: unknown, ids: Readonly<Record<string, string>>, what: string): CommandData {
  if (!isBody(body)) return { data: body, violations: [] };
  const violations: FieldViolation[] = Object.keys(ids)
    .filter((field) => Object.prototype.hasOwnProperty.call(body, field))
    .map((field) => ({ field, rule: 'whitelistValidation', message: `property ${field} should not exist: the path names the ${what}` }));
  return { data: { ...body, ...ids }, violations };
}

/** CreateBackup of POST /volumes/{id}/backups ({targetId, snapshotId?, full?}). */
export const createBackupData = (body: unknown, volumeId: string) => withIdsOfPath(body, { volumeId }, 'volume');

/** CreateBackupSchedule of POST /volumes/{id}/backup-schedules ({targetId, schedule, retention}). */
export const createBackupScheduleData = (body: unknown, volumeId: string) => withIdsOfPath(body, { volumeId }, 'volume');

/** RestoreBackup of POST /backups/{id}/restore ({poolId, name} or {overOriginal: true}). */
export const restoreBackupData = (body: unknown, backupId: string) => withIdsOfPath(body, { backupId }, 'backup');

/**
 * ImportBackup of POST /backup-targets/{id}/imports ({backupId}): the backup's id (as on the
 * target) is the command's aggregate, the target the path's. Anything else in the body is refused.
 */
export function importBackupRequest(body: unknown, targetId: string): { backupId: string | null; data: unknown; violations: FieldViolation[] } {
  if (!isBody(body)) return { backupId: null, data: body, violations: [] };
  const violations: FieldViolation[] = Object.keys(body)
    .filter((field) => field !== 'backupId')
    .map((field) => ({ field, rule: 'whitelistValidation', message: `property ${field} should not exist: give backupId, the path names the target` }));
  const backupId = typeof body.backupId === 'string' && UUID.test(body.backupId) ? body.backupId.toLowerCase() : null;
  if (!backupId) violations.push({ field: 'backupId', rule: 'isUuid', message: 'backupId must be the UUID of a backup on the target' });
  return { backupId, data: { targetId }, violations };
}

/** The chain of a backup: its parents' ids, nearest first, up to the full one (the rows as found, by id). */
export function backupChain(start: { parentBackupId: string | null }, parents: ReadonlyMap<string, { id: string; parentBackupId: string | null }>): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  let next = start.parentBackupId;
  // A cycle cannot come from the backup service; the guard only keeps a bad row from looping.
  while (next && !seen.has(next)) {
    seen.add(next);
    chain.push(next);
    next = parents.get(next)?.parentBackupId ?? null;
  }
  return chain;
}
