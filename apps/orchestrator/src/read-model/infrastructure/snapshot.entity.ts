import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import type { ErrorDetails, SnapshotRow, SnapshotStatus } from '../domain/rows';

@Entity({ name: 'snapshots' })
export class SnapshotEntity implements SnapshotRow {
  @PrimaryColumn({ type: 'uuid', name: 'snapshot_id' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'uuid', name: 'volume_id' })
  volumeId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid', name: 'pool_id' })
  poolId!: string;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'text', name: 'backend_name' })
  backendName!: string;

  @Column({ type: 'text', name: 'volume_backend_name', nullable: true })
  volumeBackendName!: string | null;

  @Column({ type: 'text' })
  status!: SnapshotStatus;

  @Column({ type: 'bigint', name: 'size_bytes', nullable: true, transformer: bigintAsNumber })
  sizeBytes!: number | null;

  @Column({ type: 'boolean', default: false })
  backup!: boolean;

  @Column({ type: 'text', name: 'policy_id', nullable: true })
  policyId!: string | null;

  @Column({ type: 'timestamptz', name: 'due_at', nullable: true })
  dueAt!: Date | null;

  @Column({ type: 'jsonb', name: 'last_error', nullable: true })
  lastError!: ErrorDetails | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
