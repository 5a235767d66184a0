import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { IMAGE_STORE_STATUSES, type ImageStoreStatus } from '../../read-model/domain/rows';

export class ListImageStoresParams extends PageParams {
  @ApiPropertyOptional({ enum: IMAGE_STORE_STATUSES, description: 'Removed stores are listed only when asked for' })
  @IsOptional()
  @IsIn(IMAGE_STORE_STATUSES)
  status?: ImageStoreStatus;

  @ApiPropertyOptional({ description: 'Exact zone id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  zoneId?: string;
}
