import type {
  BackupCompleted,
  BackupDataWritten,
  BackupDeleted,
  BackupDeletionRequested,
  BackupFailed,
  BackupGarbageCollected,
  BackupGarbageCollectionFailed,
  BackupImported,
  BackupProgressed,
  BackupRequested,
  BackupScheduleCreated,
  BackupSourceAttached,
  BackupScheduleDeleted,
  BackupScheduleRunRecorded,
  BackupTargetAdded,
  BackupTargetRemoved,
  BackupVerificationFailed,
  BackupVerified,
  RestoreCompleted,
  RestoreFailed,
  RestoreProgressed,
  RestoreRequested,
} from '@strata/contracts';
import { type Check, count, error, isObject, isPercent, isString, isUuid, text, uuid } from './event-field-checks';

/**
 * The backup service's events this version projects (the contracts name their payloads but
 * keep no type map; this is it). Targets, backups, restores and schedules are each their own
 * aggregate; the steps a backup or restore asks of other services only go to the history.
 */
export interface BackupEventDataMap {
  BackupTargetAdded: BackupTargetAdded;
  BackupTargetRemoved: BackupTargetRemoved;
  BackupGarbageCollected: BackupGarbageCollected;
  BackupGarbageCollectionFailed: BackupGarbageCollectionFailed;
  BackupRequested: BackupRequested;
  BackupSourceAttached: BackupSourceAttached;
  BackupDataWritten: BackupDataWritten;
  BackupProgressed: BackupProgressed;
  BackupCompleted: BackupCompleted;
  BackupFailed: BackupFailed;
  BackupVerified: BackupVerified;
  BackupVerificationFailed: BackupVerificationFailed;
  BackupDeletionRequested: BackupDeletionRequested;
  BackupDeleted: BackupDeleted;
  BackupImported: BackupImported;
  RestoreRequested: RestoreRequested;
  RestoreProgressed: RestoreProgressed;
  RestoreCompleted: RestoreCompleted;
  RestoreFailed: RestoreFailed;
  BackupScheduleCreated: BackupScheduleCreated;
  BackupScheduleRunRecorded: BackupScheduleRunRecorded;
  BackupScheduleDeleted: BackupScheduleDeleted;
}
export type ProjectedBackupEventType = keyof BackupEventDataMap;

const isTimestamp = (v: unknown) => isString(v) && !Number.isNaN(Date.parse(v as string));

const kind: Check = [(v) => v === 'full' || v === 'incremental', '"full" or "incremental"'];
const parent: Check = [(v) => v === null || isUuid(v), 'a UUID or null'];
const chunkFigures: Readonly<Record<string, Check>> = { chunks: count, newChunks: count, reusedChunks: count, zeroChunks: count, bytesWritten: count };
const progress: Readonly<Record<string, Check>> = { bytesDone: count, bytesTotal: count, percent: [isPercent, 'a number 0-100'] };

/** Per backup event type: the fields the projection reads, and what each must be. */
export const backupEventFields: { readonly [K in ProjectedBackupEventType]: Readonly<Record<string, Check>> } = {
  BackupTargetAdded: {
    targetId: uuid,
    name: text,
    kind: [(v) => v === 's3' || v === 'directory', '"s3" or "directory"'],
    config: [isObject, 'an object'],
  },
  BackupTargetRemoved: { targetId: uuid },
  BackupGarbageCollected: { targetId: uuid, manifests: count, chunksKept: count, chunksDeleted: count, chunksTooYoung: count },
  BackupGarbageCollectionFailed: { targetId: uuid, error },
  BackupRequested: {
    backupId: uuid,
    volumeId: uuid,
    targetId: uuid,
    snapshotId: uuid,
    kind,
    parentBackupId: parent,
    sizeBytes: count,
  },
  BackupSourceAttached: { backupId: uuid, volumeId: uuid, hostId: uuid },
  BackupDataWritten: { backupId: uuid, ...chunkFigures },
  BackupProgressed: { backupId: uuid, ...progress },
  BackupCompleted: { backupId: uuid, sizeBytes: count, ...chunkFigures },
  BackupFailed: { backupId: uuid, error },
  BackupVerified: { backupId: uuid, chunksChecked: count },
  BackupVerificationFailed: { backupId: uuid, error, badChunks: [(v) => Array.isArray(v) && v.every(isString), 'an array of strings'] },
  BackupDeletionRequested: { backupId: uuid },
  BackupDeleted: { backupId: uuid },
  BackupImported: { backupId: uuid, targetId: uuid, volumeId: uuid, kind, parentBackupId: parent, sizeBytes: count, chunks: count, createdAt: [isTimestamp, 'an ISO 8601 timestamp'] },
  RestoreRequested: { restoreId: uuid, backupId: uuid, volumeId: uuid, mode: [(v) => v === 'new' || v === 'original', '"new" or "original"'], poolId: uuid, sizeBytes: count },
  RestoreProgressed: { restoreId: uuid, ...progress },
  RestoreCompleted: { restoreId: uuid, backupId: uuid, volumeId: uuid },
  RestoreFailed: { restoreId: uuid, error },
  BackupScheduleCreated: { scheduleId: uuid, volumeId: uuid, targetId: uuid, schedule: [isObject, 'an object'], retention: count },
  BackupScheduleRunRecorded: { scheduleId: uuid, dueAt: [isTimestamp, 'an ISO 8601 timestamp'], backupId: uuid },
  BackupScheduleDeleted: { scheduleId: uuid },
};

export type BackupEventKind = 'backupTarget' | 'backup' | 'restore' | 'backupSchedule';

const kinds: { readonly [K in ProjectedBackupEventType]: BackupEventKind } = {
  BackupTargetAdded: 'backupTarget',
  BackupTargetRemoved: 'backupTarget',
  BackupGarbageCollected: 'backupTarget',
  BackupGarbageCollectionFailed: 'backupTarget',
  BackupRequested: 'backup',
  BackupSourceAttached: 'backup',
  BackupDataWritten: 'backup',
  BackupProgressed: 'backup',
  BackupCompleted: 'backup',
  BackupFailed: 'backup',
  BackupVerified: 'backup',
  BackupVerificationFailed: 'backup',
  BackupDeletionRequested: 'backup',
  BackupDeleted: 'backup',
  BackupImported: 'backup',
  RestoreRequested: 'restore',
  RestoreProgressed: 'restore',
  RestoreCompleted: 'restore',
  RestoreFailed: 'restore',
  BackupScheduleCreated: 'backupSchedule',
  BackupScheduleRunRecorded: 'backupSchedule',
  BackupScheduleDeleted: 'backupSchedule',
};

/** Which read model a backup event type changes; undefined for any other type. */
export function backupEventKindOf(type: string): BackupEventKind | undefined {
  return Object.prototype.hasOwnProperty.call(kinds, type) ? kinds[type as ProjectedBackupEventType] : undefined;
}
