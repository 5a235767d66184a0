import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALLOCATION_POLICIES, HYPERVISOR_NAMES, MAX_VOLUME_BYTES } from '@strata/contracts';

/** QoS limits of a volume. PUT /volumes/{id}/qos replaces them all: a limit left out or null is removed. */
export class VolumeQosRequest {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, nullable: true, example: 5000 })
  iops?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, nullable: true, example: 104857600 })
  bandwidthBytesPerSecond?: number | null;

  @ApiPropertyOptional({ nullable: true, pattern: '^[A-Za-z0-9_.:-]{1,64}$', example: 'gold', description: 'A QoS class the backend enforces (StorPool)' })
  tier?: string | null;
}

/**
 * The documented shape of POST /volumes. Documentation only: the body is checked by the
 * CreateVolume command's own rules (@strata/contracts), the ones the storage service applies.
 */
export class CreateVolumeRequest {
  @ApiProperty({ example: 'data-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The pool to create it on; leave it out and give zoneId to let allocation choose' })
  poolId?: string;

  @ApiProperty({ minimum: 1, maximum: MAX_VOLUME_BYTES, example: 1073741824 })
  sizeBytes!: number;

  @ApiPropertyOptional({ enum: ['DATA', 'ROOT'], default: 'DATA', description: 'ROOT: an empty root volume (for an ISO install)' })
  volumeType?: 'DATA' | 'ROOT';

  @ApiPropertyOptional({ enum: ['thin', 'thick'], default: 'thin' })
  provisioning?: 'thin' | 'thick';

  @ApiPropertyOptional({ type: VolumeQosRequest })
  qos?: VolumeQosRequest;

  @ApiPropertyOptional({ example: 'zone-1', maxLength: 128, description: 'Allocation: the zone to place it in (required without poolId)' })
  zoneId?: string;

  @ApiPropertyOptional({ example: 'cluster-a', maxLength: 128, description: 'Allocation: only pools of this cluster (or zone-wide ones)' })
  clusterId?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 32, example: ['ssd'], description: 'Allocation: tags every candidate pool must carry' })
  poolTags?: string[];

  @ApiPropertyOptional({ enum: HYPERVISOR_NAMES, description: 'Allocation: only pools that serve this hypervisor' })
  hypervisor?: string;

  @ApiPropertyOptional({ enum: ALLOCATION_POLICIES, default: 'first-fit', description: 'Allocation: the first pool that fits, or the one with the most room' })
  allocationPolicy?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Place the volume and reserve its space on the pool now, but make it on the backend only at its first attach: the job succeeds once it is placed, and the volume is allocated (nothing on the backend, path null) until its first POST /volumes/{id}/attach makes it',
  })
  deferCreation?: boolean;
}

export class ResizeVolumeRequest {
  @ApiProperty({ minimum: 1, maximum: MAX_VOLUME_BYTES, example: 2147483648 })
  sizeBytes!: number;

  @ApiPropertyOptional({ default: false, description: 'Allow a smaller size (data past it is lost); only where the backend can shrink' })
  allowShrink?: boolean;
}

export class VolumeHostRequest {
  @ApiProperty({ format: 'uuid', description: 'A registered host (GET /hosts)' })
  hostId!: string;
}

export class ManageVolumeRequest {
  @ApiProperty({ format: 'uuid', description: 'The pool the object is on' })
  poolId!: string;

  @ApiProperty({ maxLength: 255, example: 'legacy-disk-7', description: 'The orphan as GET /pools/{id}/drift lists it' })
  backendName!: string;

  @ApiProperty({ example: 'adopted-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'The new volume\'s name' })
  name!: string;
}

/** POST /volumes/{id}/migrate: every field may be left out (the body too). */
export class MigrateVolumeRequest {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "The pool to move it to; leave it out to let allocation pick one of the volume's zone (other than its own)",
  })
  destinationPoolId?: string;

  @ApiPropertyOptional({ enum: ALLOCATION_POLICIES, default: 'first-fit', description: 'Allocation, without destinationPoolId: the first pool that fits, or the one with the most room' })
  allocationPolicy?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "A registered host (GET /hosts) a block copy goes through; the storage service's default (STRATA_DATA_MOVER_HOST_ID) when left out",
  })
  dataMoverHostId?: string;
}
