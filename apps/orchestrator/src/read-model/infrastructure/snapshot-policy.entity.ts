import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import type { SnapshotPolicyRow, SnapshotPolicyScheduleRow, SnapshotPolicyStatus } from '../domain/rows';

@Entity({ name: 'snapshot_policies' })
export class SnapshotPolicyEntity implements SnapshotPolicyRow {
  @PrimaryColumn({ type: 'uuid', name: 'policy_id' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'uuid', name: 'volume_id' })
  volumeId!: string;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'jsonb' })
  schedule!: SnapshotPolicyScheduleRow;

  @Column({ type: 'integer' })
  retention!: number;

  @Column({ type: 'text' })
  status!: SnapshotPolicyStatus;

  @Column({ type: 'timestamptz', name: 'last_run_due_at', nullable: true })
  lastRunDueAt!: Date | null;

  @Column({ type: 'uuid', name: 'last_snapshot_id', nullable: true })
  lastSnapshotId!: string | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
