import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HYPERVISOR_NAMES } from '@strata/contracts';

/**
 * The documented shapes of the pool settings and of the bodies of the commands on an
 * existing pool. Documentation only: bodies are checked by the commands' own rules
 * (@strata/contracts), the ones the storage service applies.
 */
export class PoolSettingsRequest {
  @ApiPropertyOptional({
    type: [String],
    enum: HYPERVISOR_NAMES,
    maxItems: 8,
    example: ['kvm'],
    description: 'Hypervisors whose hosts may use the pool; empty or absent = any',
  })
  hypervisors?: string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    nullable: true,
    example: 50000,
    description: 'IOPS the pool can deliver, for placement by QoS; unknown when absent (PATCH: null makes it unknown again)',
  })
  capacityIops?: number | null;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100,
    default: 1,
    example: 2,
    description: 'Allocation may reach capacity times this (thin provisioning), at most 2 decimals; 1 = none',
  })
  overProvisioningFactor?: number;

  @ApiPropertyOptional({
    minimum: 0.01,
    maximum: 1,
    default: 0.85,
    example: 0.85,
    description: 'Fraction of the (over-provisioned) capacity past which no new volume is placed, at most 4 decimals',
  })
  allocationDisableThreshold?: number;
}

/** PATCH /pools/{id}: at least one setting; the ones left out stay as they are. */
export class UpdatePoolRequest extends PoolSettingsRequest {
  @ApiPropertyOptional({ example: 'fast-02', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 32, example: ['ssd', 'gold'], description: 'Replaces the tags' })
  tags?: string[];
}

/** POST /pools/{id}/disable: the body may be left out. */
export class DisablePoolRequest {
  @ApiPropertyOptional({ maxLength: 512, example: 'backend maintenance until Friday', description: 'Shown to operators with the pool' })
  reason?: string;
}

/** POST /pools/{id}/orphans/remove. */
export class RemoveOrphanRequest {
  @ApiProperty({ maxLength: 255, example: 'legacy-disk-7', description: 'The orphan as GET /pools/{id}/drift lists it' })
  backendName!: string;
}

/** POST /pools/{id}/maintenance: the body may be left out. */
export class EnterPoolMaintenanceRequest {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "A registered host (GET /hosts) block copies go through; the storage service's default (STRATA_DATA_MOVER_HOST_ID) when left out",
  })
  dataMoverHostId?: string;
}
