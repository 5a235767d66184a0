import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import { numericAsNumber } from './numeric.transformer';
import type {
  AllocationRecord,
  ErrorDetails,
  MigrationMode,
  Provisioning,
  QosLimits,
  VolumeAttachment,
  VolumeRow,
  VolumeSourceRow,
  VolumeStatus,
} from '../domain/rows';

@Entity({ name: 'volumes' })
export class VolumeEntity implements VolumeRow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid', name: 'pool_id' })
  poolId!: string;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'text', name: 'volume_type' })
  volumeType!: string;

  @Column({ type: 'bigint', name: 'size_bytes', transformer: bigintAsNumber })
  sizeBytes!: number;

  @Column({ type: 'text' })
  status!: VolumeStatus;

  @Column({ type: 'text', name: 'backend_name', nullable: true })
  backendName!: string | null;

  @Column({ type: 'text', nullable: true })
  path!: string | null;

  @Column({ type: 'jsonb', name: 'last_error', nullable: true })
  lastError!: ErrorDetails | null;

  @Column({ type: 'text' })
  provisioning!: Provisioning;

  @Column({ type: 'jsonb', nullable: true })
  qos!: QosLimits | null;

  @Column({ type: 'jsonb' })
  attachments!: VolumeAttachment[];

  @Column({ type: 'bigint', name: 'resize_to_bytes', nullable: true, transformer: bigintAsNumber })
  resizeToBytes!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  allocation!: AllocationRecord | null;

  @Column({ type: 'uuid', name: 'migration_to_pool_id', nullable: true })
  migrationToPoolId!: string | null;

  @Column({ type: 'text', name: 'migration_mode', nullable: true })
  migrationMode!: MigrationMode | null;

  @Column({ type: 'numeric', name: 'migration_percent', nullable: true, transformer: numericAsNumber })
  migrationPercent!: number | null;

  @Column({ type: 'boolean' })
  allocated!: boolean;

  @Column({ type: 'timestamptz', name: 'usage_changed_at', nullable: true })
  usageChangedAt?: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  source!: VolumeSourceRow | null;

  @Column({ type: 'boolean', name: 'backup_snapshots', default: false })
  backupSnapshots!: boolean;

  @Column({ type: 'integer', name: 'backup_snapshots_version', default: 0 })
  backupSnapshotsVersion!: number;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
