import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { POOL_STATUSES, type PoolStatus } from '../../read-model/domain/rows';

export class ListPoolsParams extends PageParams {
  @ApiPropertyOptional({ enum: POOL_STATUSES, description: 'Deleted pools are listed only when asked for' })
  @IsOptional()
  @IsIn(POOL_STATUSES)
  status?: PoolStatus;

  @ApiPropertyOptional({ description: 'Exact zone id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  zoneId?: string;
}
