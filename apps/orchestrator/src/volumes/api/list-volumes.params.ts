import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { VOLUME_STATUSES, type VolumeStatus } from '../../read-model/domain/rows';

export class ListVolumesParams extends PageParams {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  poolId?: string;

  @ApiPropertyOptional({ enum: VOLUME_STATUSES, description: 'Deleted volumes are listed only when asked for' })
  @IsOptional()
  @IsIn(VOLUME_STATUSES)
  status?: VolumeStatus;

  @ApiPropertyOptional({ description: 'Exact name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @ApiPropertyOptional({ description: 'Owner; a tenant (X-Tenant) only ever sees its own' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tenant?: string;
}
