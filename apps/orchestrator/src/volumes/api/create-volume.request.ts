import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_VOLUME_BYTES } from '@strata/contracts';

/**
 * The documented shape of POST /volumes. Documentation only: the body is checked by the
 * CreateVolume command's own rules (@strata/contracts), the ones the storage service applies.
 */
export class CreateVolumeRequest {
  @ApiProperty({ example: 'data-01', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiProperty({ format: 'uuid' })
  poolId!: string;

  @ApiProperty({ minimum: 1, maximum: MAX_VOLUME_BYTES, example: 1073741824 })
  sizeBytes!: number;

  @ApiPropertyOptional({ enum: ['DATA'], default: 'DATA' })
  volumeType?: 'DATA';
}
