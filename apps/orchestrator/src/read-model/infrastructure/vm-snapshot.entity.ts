import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import type { ErrorDetails, VmSnapshotMemberRow, VmSnapshotRow, VmSnapshotStatus } from '../domain/rows';

@Entity({ name: 'vm_snapshots' })
export class VmSnapshotEntity implements VmSnapshotRow {
  @PrimaryColumn({ type: 'uuid', name: 'vm_snapshot_id' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text', name: 'vm_id' })
  vmId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'text' })
  status!: VmSnapshotStatus;

  @Column({ type: 'jsonb' })
  members!: VmSnapshotMemberRow[];

  @Column({ type: 'jsonb', name: 'last_error', nullable: true })
  lastError!: ErrorDetails | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
