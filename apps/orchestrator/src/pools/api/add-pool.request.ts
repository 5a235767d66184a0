import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The documented shape of POST /pools. Documentation only: the body is checked by the
 * AddStoragePool command's own rules (@strata/contracts), the ones the storage service applies.
 */
export class FilePoolConfigRequest {
  @ApiProperty({ example: '/var/lib/strata/pools/fast', description: 'Absolute directory for the volume files' })
  path!: string;
}

export class AddPoolRequest {
  @ApiProperty({ example: 'fast-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiProperty({ enum: ['file'] })
  plugin!: 'file';

  @ApiProperty({ example: 'zone-1', maxLength: 128 })
  zoneId!: string;

  @ApiPropertyOptional({ example: 'cluster-a', maxLength: 128, description: 'Cluster scope; zone-wide when absent' })
  clusterId?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 32, example: ['ssd'] })
  tags?: string[];

  @ApiProperty({ type: FilePoolConfigRequest })
  config!: FilePoolConfigRequest;
}
