import { ApiProperty } from '@nestjs/swagger';
import { ROLES } from '../domain/principal';
import type { ApiKeyEntity } from '../infrastructure/api-key.entity';

/** An API key as every answer shows it: never the secret, never its hash. */
export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'cloudstack-mgmt' }) name!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The tenant of a tenant key' }) tenant!: string | null;
  @ApiProperty({ example: 'stk_Ab3dEf9h', description: 'The first characters of the key, to recognise it' }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute' }) lastUsedAt!: string | null;
}

/** The answer to POST /api-keys: the only time the key itself is shown. */
export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ example: 'stk_Ab3dEf9hIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG', description: 'The key: shown once, here; keep it secret' })
  key!: string;
}

export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyView] }) items!: ApiKeyView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export function toApiKeyView(row: ApiKeyEntity): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    tenant: row.tenant,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
