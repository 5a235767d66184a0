import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HYPERVISOR_NAMES } from '@strata/contracts';

export class HostIdentitiesRequest {
  @ApiPropertyOptional({ example: 'kvm-01', pattern: '^[A-Za-z_][A-Za-z0-9_-]{1,47}$', description: 'The LINSTOR satellite node name' })
  linstorNode?: string;

  @ApiPropertyOptional({ maxLength: 64, example: '6b3a1c0e00000001', description: 'The PowerFlex SDC id (16 hex digits) or its IP address' })
  powerflexSdc?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 12, description: 'The StorPool client id' })
  storpoolClientId?: number;
}

/**
 * The documented shape of POST /hosts. Documentation only: the body is checked by the
 * RegisterHost command's own rules (@strata/contracts), the ones the storage service applies.
 */
export class RegisterHostRequest {
  @ApiProperty({ example: 'kvm-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiProperty({ example: 'zone-1', maxLength: 128 })
  zoneId!: string;

  @ApiPropertyOptional({ example: 'cluster-a', maxLength: 128 })
  clusterId?: string;

  @ApiProperty({ enum: HYPERVISOR_NAMES, example: 'kvm' })
  hypervisor!: string;

  @ApiPropertyOptional({ type: HostIdentitiesRequest, description: "The host's identity on each backend it uses; none is needed for file pools" })
  identities?: HostIdentitiesRequest;
}
