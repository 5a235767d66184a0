import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The documented shape of POST /pools. Documentation only: the body is checked by the
 * AddStoragePool command's own rules (@strata/contracts), the ones the storage service
 * applies, and the plugin's configuration by the plugin's own schema there.
 */
export class AddPoolRequest {
  @ApiProperty({ example: 'fast-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiProperty({ example: 'file', description: 'A registered plugin: file, powerflex, linstor or storpool' })
  plugin!: string;

  @ApiProperty({ example: 'zone-1', maxLength: 128 })
  zoneId!: string;

  @ApiPropertyOptional({ example: 'cluster-a', maxLength: 128, description: 'Cluster scope; zone-wide when absent' })
  clusterId?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 32, example: ['ssd'] })
  tags?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { path: '/var/lib/strata/pools/fast' },
    description: "The plugin's settings (its manifest lists them); give this or url. Credentials are never shown back.",
  })
  config?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'powerflex://admin:password@gateway.example/pool1',
    description:
      'The pool as a URL instead of config: powerflex://user:pass@gateway/pool, storpool://token@host:port/template, ' +
      'SP_API_HTTP=host:port;SP_AUTH_TOKEN=token;SP_TEMPLATE=name, or a LINSTOR controller URL with its resource group',
  })
  url?: string;
}
