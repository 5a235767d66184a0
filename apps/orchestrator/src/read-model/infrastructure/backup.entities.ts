import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import { numericAsNumber } from './numeric.transformer';
import type {
  BackupGarbageCollectionRow,
  BackupKind,
  BackupRow,
  BackupScheduleRow,
  BackupScheduleStatus,
  BackupStatus,
  BackupTargetRow,
  BackupTargetStatus,
  BackupVerificationRow,
  ErrorDetails,
  RestoreMode,
  RestoreRow,
  RestoreStatus,
} from '../domain/rows';

@Entity({ name: 'backup_targets' })
export class BackupTargetEntity implements BackupTargetRow {
  @PrimaryColumn({ type: 'uuid', name: 'target_id' }) id!: string;
  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber }) seq!: number;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'jsonb' }) config!: Record<string, unknown>;
  @Column({ type: 'text' }) status!: BackupTargetStatus;
  @Column({ type: 'jsonb', name: 'last_garbage_collection', nullable: true }) lastGarbageCollection!: BackupGarbageCollectionRow | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'backups' })
export class BackupEntity implements BackupRow {
  @PrimaryColumn({ type: 'uuid', name: 'backup_id' }) id!: string;
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber }) seq!: number;
  @Column({ type: 'uuid', name: 'volume_id' }) volumeId!: string;
  @Column({ type: 'uuid', name: 'target_id' }) targetId!: string;
  @Column({ type: 'uuid', name: 'snapshot_id', nullable: true }) snapshotId!: string | null;
  @Column({ type: 'text' }) kind!: BackupKind;
  @Column({ type: 'uuid', name: 'parent_backup_id', nullable: true }) parentBackupId!: string | null;
  @Column({ type: 'text' }) status!: BackupStatus;
  @Column({ type: 'bigint', name: 'size_bytes', transformer: bigintAsNumber }) sizeBytes!: number;
  @Column({ type: 'integer', nullable: true }) chunks!: number | null;
  @Column({ type: 'integer', name: 'new_chunks', nullable: true }) newChunks!: number | null;
  @Column({ type: 'integer', name: 'reused_chunks', nullable: true }) reusedChunks!: number | null;
  @Column({ type: 'integer', name: 'zero_chunks', nullable: true }) zeroChunks!: number | null;
  @Column({ type: 'bigint', name: 'bytes_written', nullable: true, transformer: bigintAsNumber }) bytesWritten!: number | null;
  @Column({ type: 'numeric', name: 'progress_percent', nullable: true, transformer: numericAsNumber }) progressPercent!: number | null;
  @Column({ type: 'jsonb', name: 'last_verification', nullable: true }) lastVerification!: BackupVerificationRow | null;
  @Column({ type: 'jsonb', nullable: true }) error!: ErrorDetails | null;
  @Column({ type: 'text', nullable: true }) tenant!: string | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'restores' })
export class RestoreEntity implements RestoreRow {
  @PrimaryColumn({ type: 'uuid', name: 'restore_id' }) id!: string;
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber }) seq!: number;
  @Column({ type: 'uuid', name: 'backup_id' }) backupId!: string;
  @Column({ type: 'uuid', name: 'volume_id' }) volumeId!: string;
  @Column({ type: 'text' }) mode!: RestoreMode;
  @Column({ type: 'uuid', name: 'pool_id' }) poolId!: string;
  @Column({ type: 'text' }) status!: RestoreStatus;
  @Column({ type: 'numeric', name: 'progress_percent', nullable: true, transformer: numericAsNumber }) progressPercent!: number | null;
  @Column({ type: 'jsonb', nullable: true }) error!: ErrorDetails | null;
  @Column({ type: 'text', nullable: true }) tenant!: string | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'backup_schedules' })
export class BackupScheduleEntity implements BackupScheduleRow {
  @PrimaryColumn({ type: 'uuid', name: 'schedule_id' }) id!: string;
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber }) seq!: number;
  @Column({ type: 'uuid', name: 'volume_id' }) volumeId!: string;
  @Column({ type: 'uuid', name: 'target_id' }) targetId!: string;
  @Column({ type: 'jsonb' }) schedule!: Record<string, unknown>;
  @Column({ type: 'integer' }) retention!: number;
  @Column({ type: 'text' }) status!: BackupScheduleStatus;
  @Column({ type: 'timestamptz', name: 'last_run_due_at', nullable: true }) lastRunDueAt!: Date | null;
  @Column({ type: 'uuid', name: 'last_backup_id', nullable: true }) lastBackupId!: string | null;
  @Column({ type: 'text', nullable: true }) tenant!: string | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
