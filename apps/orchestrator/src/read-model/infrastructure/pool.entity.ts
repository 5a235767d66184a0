import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import { numericAsNumber } from './numeric.transformer';
import type { MaintenanceError, MaintenancePhase, PoolRow, PoolStatus } from '../domain/rows';

@Entity({ name: 'pools' })
export class PoolEntity implements PoolRow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  plugin!: string;

  @Column({ type: 'text', name: 'zone_id' })
  zoneId!: string;

  @Column({ type: 'text', name: 'cluster_id', nullable: true })
  clusterId!: string | null;

  @Column({ type: 'text', array: true })
  tags!: string[];

  @Column({ type: 'jsonb' })
  config!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: PoolStatus;

  @Column({ type: 'text', name: 'disabled_reason', nullable: true })
  disabledReason!: string | null;

  @Column({ type: 'text', array: true })
  hypervisors!: string[];

  @Column({ type: 'bigint', name: 'capacity_iops', nullable: true, transformer: bigintAsNumber })
  capacityIops!: number | null;

  @Column({ type: 'numeric', name: 'over_provisioning_factor', transformer: numericAsNumber })
  overProvisioningFactor!: number;

  @Column({ type: 'numeric', name: 'allocation_disable_threshold', transformer: numericAsNumber })
  allocationDisableThreshold!: number;

  @Column({ type: 'bigint', name: 'capacity_bytes', transformer: bigintAsNumber })
  capacityBytes!: number;

  @Column({ type: 'bigint', name: 'used_bytes', transformer: bigintAsNumber })
  usedBytes!: number;

  @Column({ type: 'timestamptz', name: 'capacity_measured_at' })
  capacityMeasuredAt!: Date;

  @Column({ type: 'bigint', name: 'allocated_bytes', transformer: bigintAsNumber })
  allocatedBytes!: number;

  @Column({ type: 'integer', name: 'volume_count' })
  volumeCount!: number;

  @Column({ type: 'text', name: 'maintenance_phase', nullable: true })
  maintenancePhase!: MaintenancePhase | null;

  @Column({ type: 'jsonb', name: 'maintenance_error', nullable: true })
  maintenanceError!: MaintenanceError | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
