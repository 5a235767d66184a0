import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { ROLES } from '../domain/principal';
import type { Role } from '../roles.decorator';

/** POST /api-keys. tenant is required for role tenant and refused for the others (checked after these rules). */
export class CreateApiKeyRequest {
  @ApiProperty({ example: 'cloudstack-mgmt', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name must start with a letter or digit and hold only letters, digits, ".", "_" and "-"' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'operator', description: 'admin: everything; operator: all but API keys, credentials and installation settings; tenant: its own resources' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ example: 'acme', maxLength: 128, description: 'The tenant a tenant key acts as: required for role tenant, refused for the others' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^\S(?:.*\S)?$/, { message: 'tenant must not be empty nor start or end with a space' })
  tenant?: string;
}

export class ListApiKeysParams extends PageParams {}
