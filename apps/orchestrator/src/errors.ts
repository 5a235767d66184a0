import { DomainError, ErrorCategory, type FieldViolation } from '@strata/kernel';

/**
 * The orchestrator's own error codes. Stable once published: clients match on them.
 * The API filter turns the category into the HTTP status.
 */
export function invalidRequest(violations: readonly FieldViolation[]): DomainError {
  const fields = [...new Set(violations.map((v) => v.field))];
  const summary = violations.map((v) => v.message).join('; ');
  return new DomainError('request.invalid', ErrorCategory.Validation, `invalid ${fields.join(', ')}: ${summary}`, { violations });
}

export function notFound(resource: 'pool' | 'volume' | 'job' | 'plugin' | 'host' | 'snapshot' | 'template', id: string): DomainError {
  return new DomainError(`${resource}.not_found`, ErrorCategory.NotFound, `${resource} ${id} does not exist`, { id });
}

export function imageStoreNotFound(id: string): DomainError {
  return new DomainError('image_store.not_found', ErrorCategory.NotFound, `image store ${id} does not exist`, { id });
}

export function imageStoreAlreadyRemoved(id: string): DomainError {
  return new DomainError('image_store.already_removed', ErrorCategory.Conflict, `image store ${id} is already removed`, { id });
}

export function templateAlreadyDeleted(id: string): DomainError {
  return new DomainError('template.already_deleted', ErrorCategory.Conflict, `template ${id} is already deleted`, { id });
}

/** A template that is not (or no longer) ready: its status is the field at fault. */
export function templateNotReady(id: string, status: string): DomainError {
  const message = `template ${id} is ${status}, not ready`;
  return new DomainError('template.not_ready', ErrorCategory.Conflict, message, { id, status, violations: [{ field: 'status', rule: 'templateReady', message }] });
}

/** An ISO is booted from, never cloned into a ROOT volume: its kind is the field at fault. */
export function templateNotDeployable(id: string): DomainError {
  const message = `template ${id} is an ISO (kind iso): only a template of kind template can be deployed as a ROOT volume`;
  return new DomainError('template.not_deployable', ErrorCategory.Conflict, message, { id, violations: [{ field: 'kind', rule: 'deployableKind', message }] });
}

export function volumeAlreadyDeleted(id: string): DomainError {
  return new DomainError('volume.already_deleted', ErrorCategory.Conflict, `volume ${id} is already deleted`, { id });
}

export function snapshotAlreadyDeleted(id: string): DomainError {
  return new DomainError('snapshot.already_deleted', ErrorCategory.Conflict, `snapshot ${id} is already deleted`, { id });
}

export function snapshotPolicyNotFound(id: string): DomainError {
  return new DomainError('snapshot_policy.not_found', ErrorCategory.NotFound, `snapshot policy ${id} does not exist`, { id });
}

export function snapshotPolicyAlreadyDeleted(id: string): DomainError {
  return new DomainError('snapshot_policy.already_deleted', ErrorCategory.Conflict, `snapshot policy ${id} is already deleted`, { id });
}

export function snapshotNotReady(id: string, status: string): DomainError {
  return new DomainError('snapshot.not_ready', ErrorCategory.Conflict, `snapshot ${id} is ${status}, not ready`, { id, status });
}

export function vmSnapshotNotFound(id: string): DomainError {
  return new DomainError('vm_snapshot.not_found', ErrorCategory.NotFound, `VM snapshot ${id} does not exist`, { id });
}

export function vmSnapshotAlreadyDeleted(id: string): DomainError {
  return new DomainError('vm_snapshot.already_deleted', ErrorCategory.Conflict, `VM snapshot ${id} is already deleted`, { id });
}

export function backupTargetNotFound(id: string): DomainError {
  return new DomainError('backup_target.not_found', ErrorCategory.NotFound, `backup target ${id} does not exist`, { id });
}

export function backupTargetAlreadyRemoved(id: string): DomainError {
  return new DomainError('backup_target.already_removed', ErrorCategory.Conflict, `backup target ${id} is already removed`, { id });
}

export function backupNotFound(id: string): DomainError {
  return new DomainError('backup.not_found', ErrorCategory.NotFound, `backup ${id} does not exist`, { id });
}

export function backupAlreadyDeleted(id: string): DomainError {
  return new DomainError('backup.already_deleted', ErrorCategory.Conflict, `backup ${id} is already deleted`, { id });
}

/** Only a completed (or imported) backup can be verified or restored: its status is the field at fault. */
export function backupNotCompleted(id: string, status: string): DomainError {
  const message = `backup ${id} is ${status}, not completed`;
  return new DomainError('backup.not_completed', ErrorCategory.Conflict, message, { id, status, violations: [{ field: 'status', rule: 'backupCompleted', message }] });
}

export function restoreNotFound(id: string): DomainError {
  return new DomainError('restore.not_found', ErrorCategory.NotFound, `restore ${id} does not exist`, { id });
}

export function backupScheduleNotFound(id: string): DomainError {
  return new DomainError('backup_schedule.not_found', ErrorCategory.NotFound, `backup schedule ${id} does not exist`, { id });
}

export function backupScheduleAlreadyDeleted(id: string): DomainError {
  return new DomainError('backup_schedule.already_deleted', ErrorCategory.Conflict, `backup schedule ${id} is already deleted`, { id });
}
