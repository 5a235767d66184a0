// class-validator's decorators read design-time metadata.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { IsResourceName } from '../storage/commands';

export const BACKUP_TARGET_KINDS = ['s3', 'directory'] as const;
export type BackupTargetKind = (typeof BACKUP_TARGET_KINDS)[number];

/** An S3-compatible bucket (AWS, Ceph RGW, MinIO, ...). The secret key is sealed at rest and redacted wherever shown. */
export class S3TargetData {
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\/[^\s/@]+(\/[^\s]*)?$/i, { message: 'endpoint must be an http(s) URL without credentials' })
  endpoint!: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  region?: string;

  @IsString()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'bucket must be a valid S3 bucket name (3-63 lower-case letters, digits, "." and "-")' })
  bucket!: string;

  /** Key prefix inside the bucket, e.g. "strata/"; several installations may share a bucket under different prefixes. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9!_.*'()/-]*$/, { message: 'prefix may use letters, digits and !_.*\'()/-' })
  prefix?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  accessKeyId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  secretAccessKey!: string;

  /** Path-style addressing (bucket in the path): needed by most non-AWS servers. Default true. */
  @IsOptional()
  @IsBoolean()
  forcePathStyle?: boolean;
}

/** A directory on the backup service's host (local, or an NFS mount). */
export class DirectoryTargetData {
  @IsString()
  @MaxLength(1024)
  @Matches(/^\/[^\0]*$/, { message: 'path must be an absolute directory path' })
  path!: string;
}

/** A place backups are written to (the command's aggregate is the new target's id). */
export class AddBackupTargetData {
  @IsResourceName()
  name!: string;

  @IsIn(BACKUP_TARGET_KINDS, { message: 'kind must be s3 or directory' })
  kind!: BackupTargetKind;

  @ValidateIf((o: AddBackupTargetData) => o.kind === 's3' || o.s3 !== undefined)
  @IsObject({ message: 's3 must be the bucket settings for kind s3' })
  @ValidateNested()
  @Type(() => S3TargetData)
  s3?: S3TargetData;

  @ValidateIf((o: AddBackupTargetData) => o.kind === 'directory' || o.directory !== undefined)
  @IsObject({ message: 'directory must be {path} for kind directory' })
  @ValidateNested()
  @Type(() => DirectoryTargetData)
  @ValidateBy({
    name: 'oneTargetKind',
    validator: {
      validate: (_: unknown, args) => (args?.object as AddBackupTargetData).s3 === undefined,
      defaultMessage: () => 'give the settings of one kind only (s3 or directory)',
    },
  })
  directory?: DirectoryTargetData;
}

/** Remove a target; refused while backups are kept on it. */
export class RemoveBackupTargetData {}

/**
 * Back up a volume to a target (the command's aggregate is the new backup's id): through a
 * fresh snapshot of the volume (consistent data), or from the named existing snapshot. The
 * backup is incremental when the volume has an earlier completed backup on the target (only
 * the chunks not already there are written), unless full is set.
 */
export class CreateBackupData {
  @IsUUID('all')
  volumeId!: string;

  @IsUUID('all')
  targetId!: string;

  @IsOptional()
  @IsUUID('all')
  snapshotId?: string;

  @IsOptional()
  @IsBoolean()
  full?: boolean;
}

/** Read the backup's manifest and every chunk again, checking each hash. */
export class VerifyBackupData {}

/** Delete a backup's manifest; its chunks go at the next garbage collection once no manifest references them. Later backups of the chain stay restorable. */
export class DeleteBackupData {}

/**
 * Restore a backup (the command's aggregate is the restore's own id): to a new volume on any
 * pool (poolId and name; sizeBytes defaults to the backup's), or over the original volume
 * (overOriginal: it must be detached).
 */
export class RestoreBackupData {
  @IsUUID('all')
  backupId!: string;

  @IsOptional()
  @IsBoolean()
  overOriginal?: boolean;

  @ValidateIf((o: RestoreBackupData) => o.overOriginal !== true)
  @IsUUID('all', { message: 'poolId must be the pool of the new volume (or set overOriginal)' })
  poolId?: string;

  @ValidateIf((o: RestoreBackupData) => o.overOriginal !== true)
  @IsResourceName()
  name?: string;
}

/**
 * Back a volume up on a schedule (the command's aggregate is the new schedule's id): schedule
 * has the snapshot policies' shape ({kind: hourly | daily | weekly | monthly, ..., timeZone}),
 * checked by the backup service; retention is how many of the schedule's backups are kept
 * (beyond it the oldest are deleted; the chunks they alone used are collected later).
 */
export class CreateBackupScheduleData {
  @IsUUID('all')
  volumeId!: string;

  @IsUUID('all')
  targetId!: string;

  @IsObject()
  schedule!: Record<string, unknown>;

  @IsInt()
  @Min(1)
  @Max(1000)
  retention!: number;
}

/** Stop a schedule; the backups it made stay. */
export class DeleteBackupScheduleData {}

/** Delete the chunks of a target that no manifest on it references (the command's aggregate is the target). */
export class CollectBackupGarbageData {}

/**
 * Make a backup found on a target known to this installation (the command's aggregate is the
 * backup's id, as on the target): its manifest is read and every chunk checked, after which it
 * can be restored here. How another installation sharing the target restores it.
 */
export class ImportBackupData {
  @IsUUID('all')
  targetId!: string;
}

export interface BackupCommandDataMap {
  AddBackupTarget: AddBackupTargetData;
  RemoveBackupTarget: RemoveBackupTargetData;
  CreateBackup: CreateBackupData;
  VerifyBackup: VerifyBackupData;
  DeleteBackup: DeleteBackupData;
  RestoreBackup: RestoreBackupData;
  CreateBackupSchedule: CreateBackupScheduleData;
  DeleteBackupSchedule: DeleteBackupScheduleData;
  CollectBackupGarbage: CollectBackupGarbageData;
  ImportBackup: ImportBackupData;
}
export type BackupCommandType = keyof BackupCommandDataMap;

export const backupCommandSchemas: { readonly [K in BackupCommandType]: new () => BackupCommandDataMap[K] } = {
  AddBackupTarget: AddBackupTargetData,
  RemoveBackupTarget: RemoveBackupTargetData,
  CreateBackup: CreateBackupData,
  VerifyBackup: VerifyBackupData,
  DeleteBackup: DeleteBackupData,
  RestoreBackup: RestoreBackupData,
  CreateBackupSchedule: CreateBackupScheduleData,
  DeleteBackupSchedule: DeleteBackupScheduleData,
  CollectBackupGarbage: CollectBackupGarbageData,
  ImportBackup: ImportBackupData,
};
