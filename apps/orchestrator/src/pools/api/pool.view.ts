import { ApiProperty } from '@nestjs/swagger';
import { MAINTENANCE_PHASES, POOL_STATUSES, type MaintenancePhase, type PoolRow } from '../../read-model/domain/rows';
import { allocatableBytes } from '../domain/pool-allocation';

export class PoolMaintenanceErrorView {
  @ApiProperty({ example: 'backend.unavailable' }) code!: string;
  @ApiProperty({ example: 'backend' }) category!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The volume whose move failed; null when the failure was no one volume\'s' })
  volumeId!: string | null;
}

export class PoolMaintenanceView {
  @ApiProperty({
    enum: MAINTENANCE_PHASES,
    description: 'entering: its volumes are being moved off; in_maintenance: none is left; failed: a move failed (see error), until cancelled',
  })
  phase!: MaintenancePhase;
  @ApiProperty({ type: PoolMaintenanceErrorView, nullable: true, description: 'Why maintenance failed (phase failed); null otherwise' })
  error!: PoolMaintenanceErrorView | null;
}

export class PoolView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'file' }) plugin!: string;
  @ApiProperty() zoneId!: string;
  @ApiProperty({ type: String, nullable: true }) clusterId!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Plugin configuration, credentials removed' })
  config!: Record<string, unknown>;
  @ApiProperty({
    enum: POOL_STATUSES,
    description: 'Nothing new is placed on a disabled pool or one in maintenance; a deleted one is listed only when asked for',
  })
  status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Why an operator disabled the pool' })
  disabledReason!: string | null;
  @ApiProperty({ type: PoolMaintenanceView, nullable: true, description: 'Where maintenance is (status maintenance); null otherwise' })
  maintenance!: PoolMaintenanceView | null;
  @ApiProperty({ type: [String], example: ['kvm'], description: 'Hypervisors whose hosts may use the pool; empty = any' })
  hypervisors!: string[];
  @ApiProperty({ type: 'integer', nullable: true, description: 'IOPS the pool can deliver; null when unknown' })
  capacityIops!: number | null;
  @ApiProperty({ example: 1, description: 'Allocation may reach capacity times this; 1 = no over-provisioning' })
  overProvisioningFactor!: number;
  @ApiProperty({ example: 0.85, description: 'Fraction of the (over-provisioned) capacity past which nothing new is placed' })
  allocationDisableThreshold!: number;
  @ApiProperty({ description: 'Capacity the backend reports' }) capacityBytes!: number;
  @ApiProperty({ description: 'Space the backend reports as used' }) usedBytes!: number;
  @ApiProperty({ format: 'date-time', description: 'When capacityBytes and usedBytes were last reported' })
  capacityMeasuredAt!: string;
  @ApiProperty({ description: 'Sum of the sizes of the volumes that occupy the pool' }) allocatedBytes!: number;
  @ApiProperty({
    description:
      'Room left for allocation: floor(capacityBytes × overProvisioningFactor × allocationDisableThreshold) − allocatedBytes, not below 0',
  })
  allocatableBytes!: number;
  @ApiProperty({ description: 'Volumes that occupy the pool (not deleted, not failed to create)' }) volumeCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class PoolPage {
  @ApiProperty({ type: [PoolView] }) items!: PoolView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

function maintenanceView(row: PoolRow): PoolMaintenanceView | null {
  if (row.status !== 'maintenance' || row.maintenancePhase === null) return null;
  const e = row.maintenanceError;
  return {
    phase: row.maintenancePhase,
    error: e ? { code: e.code, category: e.category, message: e.message, volumeId: e.volumeId ?? null } : null,
  };
}

export function toPoolView(row: PoolRow): PoolView {
  return {
    id: row.id,
    name: row.name,
    plugin: row.plugin,
    zoneId: row.zoneId,
    clusterId: row.clusterId,
    tags: row.tags,
    config: row.config,
    status: row.status,
    disabledReason: row.disabledReason,
    maintenance: maintenanceView(row),
    hypervisors: row.hypervisors,
    capacityIops: row.capacityIops,
    overProvisioningFactor: row.overProvisioningFactor,
    allocationDisableThreshold: row.allocationDisableThreshold,
    capacityBytes: row.capacityBytes,
    usedBytes: row.usedBytes,
    capacityMeasuredAt: row.capacityMeasuredAt.toISOString(),
    allocatedBytes: row.allocatedBytes,
    allocatableBytes: allocatableBytes(row),
    volumeCount: row.volumeCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
