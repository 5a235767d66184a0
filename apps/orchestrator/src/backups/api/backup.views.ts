import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageParams } from '../../http/list-params';
import {
  BACKUP_KINDS,
  BACKUP_SCHEDULE_STATUSES,
  BACKUP_STATUSES,
  BACKUP_TARGET_KINDS_SHOWN,
  BACKUP_TARGET_STATUSES,
  RESTORE_MODES,
  RESTORE_STATUSES,
  type BackupRow,
  type BackupScheduleRow,
  type BackupScheduleStatus,
  type BackupStatus,
  type BackupTargetRow,
  type BackupTargetStatus,
  type ErrorDetails,
  type RestoreRow,
} from '../../read-model/domain/rows';
import { shownTargetConfig } from '../../projection/domain/backup-projection';

class ErrorDetailsView {
  @ApiProperty() code!: string;
  @ApiProperty() category!: string;
  @ApiProperty() message!: string;
}
const errorView = (e: ErrorDetails | null): ErrorDetailsView | null => (e ? { code: e.code, category: e.category, message: e.message } : null);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The filters backups and schedules are both listed by: the volume backed up and the target written to. */
class VolumeAndTargetPageParams extends PageParams {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  volumeId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  targetId?: string;
}

// ---- targets ----

class GarbageCollectionView {
  @ApiProperty({ enum: ['succeeded', 'failed'] }) status!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Manifests read' }) manifests!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) chunksKept!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) chunksDeleted!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Unreferenced but younger than the grace period: left for a later round' }) chunksTooYoung!: number | null;
  @ApiProperty({ type: ErrorDetailsView, nullable: true }) error!: ErrorDetailsView | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class BackupTargetView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: BACKUP_TARGET_KINDS_SHOWN }) kind!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'directory: {path}; s3: {endpoint, region?, bucket, prefix?, accessKeyId, forcePathStyle?, secretAccessKey: "***"} (the secret is never shown)',
  })
  config!: Record<string, unknown>;
  @ApiProperty({ enum: BACKUP_TARGET_STATUSES }) status!: string;
  @ApiProperty({ type: GarbageCollectionView, nullable: true }) lastGarbageCollection!: GarbageCollectionView | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class BackupTargetPage {
  @ApiProperty({ type: [BackupTargetView] }) items!: BackupTargetView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' }) nextCursor!: string | null;
}

export function toBackupTargetView(row: BackupTargetRow): BackupTargetView {
  const gc = row.lastGarbageCollection;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    // Shown through the same whitelist the projection keeps: a credential cannot reach a response.
    config: shownTargetConfig(row.kind, row.config),
    status: row.status,
    lastGarbageCollection: gc
      ? { status: gc.status, manifests: gc.manifests, chunksKept: gc.chunksKept, chunksDeleted: gc.chunksDeleted, chunksTooYoung: gc.chunksTooYoung, error: errorView(gc.error), at: gc.at }
      : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export class TargetAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' }) jobId!: string;
  @ApiProperty({ format: 'uuid', description: 'The target the command is about; for POST /backup-targets, the id the new target will have' }) targetId!: string;
}

class S3TargetRequest {
  @ApiProperty({ example: 'https://s3.eu-west-1.amazonaws.com' }) endpoint!: string;
  @ApiPropertyOptional({ example: 'eu-west-1' }) region?: string;
  @ApiProperty({ example: 'strata-backups' }) bucket!: string;
  @ApiPropertyOptional({ example: 'site-a/' }) prefix?: string;
  @ApiProperty() accessKeyId!: string;
  @ApiProperty({ description: 'Sealed by the backup service; never stored by the orchestrator, never shown back', writeOnly: true }) secretAccessKey!: string;
  @ApiPropertyOptional({ default: true }) forcePathStyle?: boolean;
}
class DirectoryTargetRequest {
  @ApiProperty({ example: '/srv/backups', description: "An absolute directory on the backup service's host (local or an NFS mount)" }) path!: string;
}

/** Documentation only: the body is checked by the AddBackupTarget command's own rules, the backup service's. */
export class AddBackupTargetRequest {
  @ApiProperty({ example: 'offsite-1', maxLength: 128 }) name!: string;
  @ApiProperty({ enum: BACKUP_TARGET_KINDS_SHOWN }) kind!: string;
  @ApiPropertyOptional({ type: S3TargetRequest, description: 'For kind s3' }) s3?: S3TargetRequest;
  @ApiPropertyOptional({ type: DirectoryTargetRequest, description: 'For kind directory' }) directory?: DirectoryTargetRequest;
}

export class ImportBackupRequest {
  @ApiProperty({ format: 'uuid', description: "The backup's id as on the target (its manifest's name)" }) backupId!: string;
}

export class ListBackupTargetsParams extends PageParams {
  @ApiPropertyOptional({ enum: BACKUP_TARGET_STATUSES, description: 'Removed targets are listed only when asked for' })
  @IsOptional()
  @IsIn(BACKUP_TARGET_STATUSES)
  status?: BackupTargetStatus;

  @ApiPropertyOptional({ enum: BACKUP_TARGET_KINDS_SHOWN })
  @IsOptional()
  @IsIn(BACKUP_TARGET_KINDS_SHOWN)
  kind?: string;
}

// ---- backups ----

class VerificationView {
  @ApiProperty({ enum: ['succeeded', 'failed'] }) result!: string;
  @ApiProperty({ type: 'integer', nullable: true }) chunksChecked!: number | null;
  @ApiProperty({ type: [String], description: 'Chunks missing or not hashing to their name' }) badChunks!: string[];
  @ApiProperty({ type: ErrorDetailsView, nullable: true }) error!: ErrorDetailsView | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class BackupView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) volumeId!: string;
  @ApiProperty({ format: 'uuid' }) targetId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The snapshot read; null for an imported backup' }) snapshotId!: string | null;
  @ApiProperty({ enum: BACKUP_KINDS }) kind!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The backup this one follows (null for a full one)' }) parentBackupId!: string | null;
  @ApiProperty({ enum: BACKUP_STATUSES }) status!: string;
  @ApiProperty({ type: 'integer', description: "The volume's size read" }) sizeBytes!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Chunks in the manifest' }) chunks!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Written by this backup' }) newChunks!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Already on the target' }) reusedChunks!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'All zero: not stored' }) zeroChunks!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Bytes written to the target (compressed chunks and the manifest)' }) bytesWritten!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Of the data step, 0-100' }) progressPercent!: number | null;
  @ApiProperty({ type: VerificationView, nullable: true }) lastVerification!: VerificationView | null;
  @ApiProperty({ type: ErrorDetailsView, nullable: true }) error!: ErrorDetailsView | null;
  @ApiProperty({ type: String, nullable: true, description: "The volume's owner" }) tenant!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class BackupDetailView extends BackupView {
  @ApiProperty({ type: [String], description: "The chain this backup restores through: its parents' ids, nearest first, up to the full backup (empty for a full one)" })
  chain!: string[];
}

export class BackupPage {
  @ApiProperty({ type: [BackupView] }) items!: BackupView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' }) nextCursor!: string | null;
}

export function toBackupView(row: BackupRow): BackupView {
  const v = row.lastVerification;
  return {
    id: row.id,
    volumeId: row.volumeId,
    targetId: row.targetId,
    snapshotId: row.snapshotId,
    kind: row.kind,
    parentBackupId: row.parentBackupId,
    status: row.status,
    sizeBytes: row.sizeBytes,
    chunks: row.chunks,
    newChunks: row.newChunks,
    reusedChunks: row.reusedChunks,
    zeroChunks: row.zeroChunks,
    bytesWritten: row.bytesWritten,
    progressPercent: row.progressPercent,
    lastVerification: v ? { result: v.result, chunksChecked: v.chunksChecked, badChunks: [...v.badChunks], error: errorView(v.error), at: v.at } : null,
    error: errorView(row.error),
    tenant: row.tenant,
    createdAt: row.createdAt.toISOString(),
    completedAt: iso(row.completedAt),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export class BackupAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' }) jobId!: string;
  @ApiProperty({ format: 'uuid', description: 'The backup the command is about; for a new backup (or an import), its id' }) backupId!: string;
}

export class CreateBackupRequest {
  @ApiProperty({ format: 'uuid' }) targetId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: "One of the volume's ready snapshots to read; default: a fresh snapshot taken for the backup" }) snapshotId?: string;
  @ApiPropertyOptional({ description: 'A full backup even when an earlier one on the target would make it incremental' }) full?: boolean;
}

export class ListBackupsParams extends VolumeAndTargetPageParams {
  @ApiPropertyOptional({ enum: BACKUP_STATUSES, description: 'Deleted backups are listed only when asked for' })
  @IsOptional()
  @IsIn(BACKUP_STATUSES)
  status?: BackupStatus;
}

// ---- restores ----

export class RestoreView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) backupId!: string;
  @ApiProperty({ format: 'uuid', description: "The volume written: the new one, or the backup's own (mode original)" }) volumeId!: string;
  @ApiProperty({ enum: RESTORE_MODES }) mode!: string;
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty({ enum: RESTORE_STATUSES }) status!: string;
  @ApiProperty({ type: Number, nullable: true }) progressPercent!: number | null;
  @ApiProperty({ type: ErrorDetailsView, nullable: true }) error!: ErrorDetailsView | null;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export function toRestoreView(row: RestoreRow): RestoreView {
  return {
    id: row.id,
    backupId: row.backupId,
    volumeId: row.volumeId,
    mode: row.mode,
    poolId: row.poolId,
    status: row.status,
    progressPercent: row.progressPercent,
    error: errorView(row.error),
    tenant: row.tenant,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export class RestoreAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' }) jobId!: string;
  @ApiProperty({ format: 'uuid', description: 'Follow the restore at GET /restores/{restoreId}' }) restoreId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: "Over the original: the backup's volume. A new volume's id is shown by GET /restores/{restoreId} once the restore starts" })
  volumeId?: string;
}

export class RestoreBackupRequest {
  @ApiPropertyOptional({ format: 'uuid', description: 'The pool of the new volume' }) poolId?: string;
  @ApiPropertyOptional({ description: 'The new volume\'s name' }) name?: string;
  @ApiPropertyOptional({ description: 'Write the backup over its own volume (it must be detached) instead of a new one' }) overOriginal?: boolean;
}

// ---- schedules ----

export class BackupScheduleView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) volumeId!: string;
  @ApiProperty({ format: 'uuid' }) targetId!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As recorded: {kind: hourly | daily | weekly | monthly, minute | time, dayOfWeek?, dayOfMonth?, timeZone}' })
  schedule!: Record<string, unknown>;
  @ApiProperty({ type: 'integer', description: 'Backups of the schedule kept' }) retention!: number;
  @ApiProperty({ enum: BACKUP_SCHEDULE_STATUSES }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastRunDueAt!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) lastBackupId!: string | null;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class BackupSchedulePage {
  @ApiProperty({ type: [BackupScheduleView] }) items!: BackupScheduleView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' }) nextCursor!: string | null;
}

export function toBackupScheduleView(row: BackupScheduleRow): BackupScheduleView {
  return {
    id: row.id,
    volumeId: row.volumeId,
    targetId: row.targetId,
    schedule: { ...row.schedule },
    retention: row.retention,
    status: row.status,
    lastRunDueAt: iso(row.lastRunDueAt),
    lastBackupId: row.lastBackupId,
    tenant: row.tenant,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export class ScheduleAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' }) jobId!: string;
  @ApiProperty({ format: 'uuid', description: 'The schedule the command is about; for a new one, the id it will have' }) scheduleId!: string;
}

export class CreateBackupScheduleRequest {
  @ApiProperty({ format: 'uuid' }) targetId!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { kind: 'daily', time: '02:30', timeZone: 'Europe/Sofia' } }) schedule!: Record<string, unknown>;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000 }) retention!: number;
}

export class ListBackupSchedulesParams extends VolumeAndTargetPageParams {
  @ApiPropertyOptional({ enum: BACKUP_SCHEDULE_STATUSES, description: 'Deleted schedules are listed only when asked for' })
  @IsOptional()
  @IsIn(BACKUP_SCHEDULE_STATUSES)
  status?: BackupScheduleStatus;
}
