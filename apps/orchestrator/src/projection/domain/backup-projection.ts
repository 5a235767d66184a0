import { assertUnreachable } from '@strata/kernel';
import type { BackupRow, BackupScheduleRow, BackupTargetRow, ErrorDetails, RestoreRow } from '../../read-model/domain/rows';
import { backupEventKindOf, type ProjectedBackupEventType } from './backup-event';
import type { TypedEvent } from './storage-event';

export type BackupServiceEvent = Extract<TypedEvent, { type: ProjectedBackupEventType }>;
export type BackupTargetEvent = Extract<BackupServiceEvent, { type: 'BackupTargetAdded' | 'BackupTargetRemoved' | 'BackupGarbageCollected' | 'BackupGarbageCollectionFailed' }>;
export type RestoreEvent = Extract<BackupServiceEvent, { type: 'RestoreRequested' | 'RestoreProgressed' | 'RestoreCompleted' | 'RestoreFailed' }>;
export type BackupScheduleEvent = Extract<BackupServiceEvent, { type: 'BackupScheduleCreated' | 'BackupScheduleRunRecorded' | 'BackupScheduleDeleted' }>;
export type BackupEvent = Exclude<BackupServiceEvent, BackupTargetEvent | RestoreEvent | BackupScheduleEvent>;

export const isBackupTargetEvent = (e: TypedEvent): e is BackupTargetEvent => backupEventKindOf(e.type) === 'backupTarget';
export const isBackupEvent = (e: TypedEvent): e is BackupEvent => backupEventKindOf(e.type) === 'backup';
export const isRestoreEvent = (e: TypedEvent): e is RestoreEvent => backupEventKindOf(e.type) === 'restore';
export const isBackupScheduleEvent = (e: TypedEvent): e is BackupScheduleEvent => backupEventKindOf(e.type) === 'backupSchedule';

export interface BackupEventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

const errorDetails = (e: ErrorDetails): ErrorDetails => ({ code: e.code, category: e.category, message: e.message });

/** A redelivery or an older event changes nothing. */
const stale = (current: { version: number } | null, meta: BackupEventMeta) => current !== null && meta.streamVersion <= current.version;

/** The S3 settings a target may show; anything else in the event's config is left out. */
const S3_SHOWN = ['endpoint', 'region', 'bucket', 'prefix', 'accessKeyId', 'forcePathStyle'] as const;

/**
 * A target's settings as the read model keeps them. The event already carries the secret as
 * "***"; this keeps only the fields known to be settings and writes the mask itself, so a
 * credential can never reach a row (or a response) even from an event that failed to redact.
 */
export function shownTargetConfig(kind: string, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (kind === 'directory') return typeof config.path === 'string' ? { path: config.path } : {};
  const shown: Record<string, unknown> = {};
  for (const field of S3_SHOWN) if (config[field] !== undefined) shown[field] = config[field];
  return { ...shown, secretAccessKey: '***' };
}

/** A target's row after one of its events; undefined when it changes nothing. */
export function applyBackupTargetEvent(current: BackupTargetRow | null, event: BackupTargetEvent, meta: BackupEventMeta): BackupTargetRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'BackupTargetAdded') {
    const d = event.data;
    return {
      id: d.targetId,
      name: d.name,
      kind: d.kind,
      config: shownTargetConfig(d.kind, d.config),
      status: 'active',
      lastGarbageCollection: current?.lastGarbageCollection ?? null,
      version: meta.streamVersion,
      createdAt: current?.createdAt ?? meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  if (!current) return undefined;
  const next = { ...current, version: meta.streamVersion, updatedAt: meta.occurredAt };
  const at = meta.occurredAt.toISOString();
  switch (event.type) {
    case 'BackupTargetRemoved':
      return { ...next, status: 'removed' };
    case 'BackupGarbageCollected': {
      const d = event.data;
      const gc = { status: 'succeeded' as const, manifests: d.manifests, chunksKept: d.chunksKept, chunksDeleted: d.chunksDeleted, chunksTooYoung: d.chunksTooYoung, error: null, at };
      return { ...next, lastGarbageCollection: gc };
    }
    case 'BackupGarbageCollectionFailed':
      return {
        ...next,
        lastGarbageCollection: { status: 'failed', manifests: null, chunksKept: null, chunksDeleted: null, chunksTooYoung: null, error: errorDetails(event.data.error), at },
      };
    default:
      return assertUnreachable(event);
  }
}

/** What a backup's first event needs beside itself: the tenant of its volume, when the read model knows it. */
export interface BackupContext {
  readonly volumeTenant: string | null;
}

/**
 * A backup's row after one of its events; undefined when it changes nothing. Its tenant is
 * the CreateBackup's (the orchestrator sends it as the volume's owner), else the volume's as
 * projected (a scheduled backup is the backup service's own work and names no tenant).
 */
export function applyBackupEvent(current: BackupRow | null, event: BackupEvent, meta: BackupEventMeta, context: BackupContext = { volumeTenant: null }): BackupRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'BackupRequested') {
    const d = event.data;
    return {
      id: d.backupId,
      volumeId: d.volumeId,
      targetId: d.targetId,
      snapshotId: d.snapshotId,
      kind: d.kind,
      parentBackupId: d.parentBackupId,
      status: 'requested',
      sizeBytes: d.sizeBytes,
      chunks: null,
      newChunks: null,
      reusedChunks: null,
      zeroChunks: null,
      bytesWritten: null,
      progressPercent: null,
      lastVerification: null,
      error: null,
      tenant: meta.tenant ?? context.volumeTenant,
      version: meta.streamVersion,
      createdAt: meta.occurredAt,
      completedAt: null,
      updatedAt: meta.occurredAt,
    };
  }
  if (event.type === 'BackupImported') {
    const d = event.data;
    return {
      id: d.backupId,
      volumeId: d.volumeId,
      targetId: d.targetId,
      snapshotId: null,
      kind: d.kind,
      parentBackupId: d.parentBackupId,
      status: 'imported',
      sizeBytes: d.sizeBytes,
      chunks: d.chunks,
      newChunks: null,
      reusedChunks: null,
      zeroChunks: null,
      bytesWritten: null,
      progressPercent: 100,
      lastVerification: null,
      error: null,
      // The volume may be this installation's (a target shared with itself): then its owner's.
      tenant: context.volumeTenant,
      version: meta.streamVersion,
      createdAt: new Date(d.createdAt),
      completedAt: meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  if (!current) return undefined;
  const next: BackupRow = { ...current, version: meta.streamVersion, updatedAt: meta.occurredAt };
  const at = meta.occurredAt.toISOString();
  const running = current.status === 'requested' ? 'running' : current.status;
  switch (event.type) {
    case 'BackupSourceAttached':
      return { ...next, status: running };
    case 'BackupProgressed':
      return { ...next, status: running, progressPercent: Math.max(current.progressPercent ?? 0, event.data.percent) };
    case 'BackupDataWritten':
    case 'BackupCompleted': {
      const d = event.data;
      const figures = { chunks: d.chunks, newChunks: d.newChunks, reusedChunks: d.reusedChunks, zeroChunks: d.zeroChunks, bytesWritten: d.bytesWritten };
      if (event.type === 'BackupDataWritten') return { ...next, ...figures, status: running };
      return { ...next, ...figures, status: 'completed', sizeBytes: event.data.sizeBytes, progressPercent: 100, error: null, completedAt: meta.occurredAt };
    }
    case 'BackupFailed':
      return { ...next, status: 'failed', error: errorDetails(event.data.error), completedAt: meta.occurredAt };
    case 'BackupVerified':
      return { ...next, lastVerification: { result: 'succeeded', chunksChecked: event.data.chunksChecked, badChunks: [], error: null, at } };
    case 'BackupVerificationFailed':
      return {
        ...next,
        lastVerification: { result: 'failed', chunksChecked: null, badChunks: [...event.data.badChunks], error: errorDetails(event.data.error), at },
      };
    case 'BackupDeletionRequested':
      return { ...next, status: 'deleting' };
    case 'BackupDeleted':
      return { ...next, status: 'deleted' };
    default:
      return assertUnreachable(event);
  }
}

/** A restore's row after one of its events; undefined when it changes nothing. */
export function applyRestoreEvent(current: RestoreRow | null, event: RestoreEvent, meta: BackupEventMeta, context: { backupTenant: string | null } = { backupTenant: null }): RestoreRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'RestoreRequested') {
    const d = event.data;
    return {
      id: d.restoreId,
      backupId: d.backupId,
      volumeId: d.volumeId,
      mode: d.mode,
      poolId: d.poolId,
      status: 'running',
      progressPercent: null,
      error: null,
      // The RestoreBackup's owner, else the backup's.
      tenant: meta.tenant ?? context.backupTenant,
      version: meta.streamVersion,
      createdAt: meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  if (!current) return undefined;
  const next: RestoreRow = { ...current, version: meta.streamVersion, updatedAt: meta.occurredAt };
  switch (event.type) {
    case 'RestoreProgressed':
      return { ...next, progressPercent: Math.max(current.progressPercent ?? 0, event.data.percent) };
    case 'RestoreCompleted':
      return { ...next, status: 'completed', progressPercent: 100, error: null };
    case 'RestoreFailed':
      return { ...next, status: 'failed', error: errorDetails(event.data.error) };
    default:
      return assertUnreachable(event);
  }
}

/** A schedule's row after one of its events; undefined when it changes nothing. */
export function applyBackupScheduleEvent(
  current: BackupScheduleRow | null,
  event: BackupScheduleEvent,
  meta: BackupEventMeta,
  context: BackupContext = { volumeTenant: null },
): BackupScheduleRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'BackupScheduleCreated') {
    const d = event.data;
    return {
      id: d.scheduleId,
      volumeId: d.volumeId,
      targetId: d.targetId,
      schedule: { ...d.schedule },
      retention: d.retention,
      status: 'active',
      lastRunDueAt: null,
      lastBackupId: null,
      tenant: meta.tenant ?? context.volumeTenant,
      version: meta.streamVersion,
      createdAt: meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  if (!current) return undefined;
  const next: BackupScheduleRow = { ...current, version: meta.streamVersion, updatedAt: meta.occurredAt };
  switch (event.type) {
    case 'BackupScheduleRunRecorded':
      return { ...next, lastRunDueAt: new Date(event.data.dueAt), lastBackupId: event.data.backupId };
    case 'BackupScheduleDeleted':
      return { ...next, status: 'deleted' };
    default:
      return assertUnreachable(event);
  }
}
