import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PoolSettingsRequest } from './pool-settings.request';

/**
 * The documented shape of POST /pools. Documentation only: the body is checked by the
 * AddStoragePool command's own rules (@strata/contracts), the ones the storage service
 * applies, and config (or what the plugin reads from url) by the plugin's own schema,
 * here before the command is queued and again in the storage service. The placement
 * settings (hypervisors, capacityIops, overProvisioningFactor, allocationDisableThreshold)
 * are optional: left out, they are any hypervisor, unknown, 1 and 0.85.
 */
export class AddPoolRequest extends PoolSettingsRequest {
  @ApiProperty({ example: 'fast-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiProperty({ example: 'file', description: 'A registered plugin (GET /plugins lists them)' })
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
    description:
      "The plugin's settings (GET /plugins/{name} lists them as configParameters); give this or url. " +
      'Checked against the plugin before the command is queued; credentials are never shown back.',
  })
  config?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'powerflex://admin:password@gateway.example/pool1',
    description:
      'The pool as a URL instead of config: powerflex://user:pass@gateway/pool, storpool://token@host:port/template, ' +
      'SP_API_HTTP=host:port;SP_AUTH_TOKEN=token;SP_TEMPLATE=name, or a LINSTOR controller URL with its resource group ' +
      '(linstor://[token@]host:port/<resource group>). Only for plugins with acceptsUrl in GET /plugins.',
  })
  url?: string;
}
