import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HYPERVISOR_NAMES, MAX_VOLUME_BYTES } from '@strata/contracts';
import { ChecksumView } from './template.view';

/**
 * The documented bodies of the template endpoints. Documentation only: each is checked by its
 * command's own rules (@strata/contracts), the ones the image service applies.
 */
export class RegisterTemplateRequest {
  @ApiProperty({ example: 'debian-12', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }) name!: string;
  @ApiProperty({ enum: ['template', 'iso'] }) kind!: string;
  @ApiProperty({ enum: ['qcow2', 'raw', 'iso'], description: 'iso for an ISO, qcow2 or raw for a template; the file must be of it' }) format!: string;
  @ApiProperty({ example: 'zone-1', description: "Kept on this zone's image store" }) zoneId!: string;
  @ApiPropertyOptional({ example: 'https://images.example/debian-12.qcow2', description: 'http(s), without credentials; or upload: true' }) url?: string;
  @ApiPropertyOptional({ description: 'Upload the file instead: the answer carries uploadUrl to PUT it to (needs STRATA_SECRET_KEY on the orchestrator)' })
  upload?: boolean;
  @ApiPropertyOptional({ type: ChecksumView, description: 'Verified once the file is in' }) checksum?: ChecksumView;
  @ApiPropertyOptional({ maxLength: 128 }) osType?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) description?: string;
  @ApiPropertyOptional({ default: false, description: 'Visible to every tenant' }) public?: boolean;
}

export class UpdateTemplateRequest {
  @ApiPropertyOptional({ maxLength: 128 }) name?: string;
  @ApiPropertyOptional({ maxLength: 128 }) osType?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) description?: string;
  @ApiPropertyOptional() public?: boolean;
}

export class CopyTemplateRequest {
  @ApiProperty({ example: 'zone-2', description: "Copied to this zone's image store from an existing copy" }) zoneId!: string;
}

export class DeployTemplateVolumeRequest {
  @ApiProperty({ example: 'vm-42-root', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }) name!: string;
  @ApiProperty({ format: 'uuid', description: "The pool to make it on (the template's cached base there is made on first use)" }) poolId!: string;
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_VOLUME_BYTES, description: "The template's virtual size when left out; never smaller" }) sizeBytes?: number;
  @ApiPropertyOptional({ enum: HYPERVISOR_NAMES }) hypervisor?: string;
  @ApiPropertyOptional({ format: 'uuid', description: "The registered host that writes the template into the pool's cached base (first deployment on a pool); default: the storage service's STRATA_DATA_MOVER_HOST_ID" }) dataMoverHostId?: string;
}

export class TemplateFromVolumeRequest {
  @ApiProperty({ example: 'golden-web', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }) name!: string;
  @ApiProperty({ example: 'zone-1', description: "Kept on this zone's image store (the data mover must reach it at the same path)" }) zoneId!: string;
  @ApiPropertyOptional({ maxLength: 128 }) osType?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) description?: string;
  @ApiPropertyOptional({ default: false, description: 'Visible to every tenant' }) public?: boolean;
}
