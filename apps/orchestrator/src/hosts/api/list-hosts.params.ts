import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { HOST_STATUSES, type HostStatus } from '../../read-model/domain/rows';

export class ListHostsParams extends PageParams {
  @ApiPropertyOptional({ enum: HOST_STATUSES, description: 'Deregistered hosts are listed only when asked for' })
  @IsOptional()
  @IsIn(HOST_STATUSES)
  status?: HostStatus;

  @ApiPropertyOptional({ description: 'Exact zone id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  zoneId?: string;

  @ApiPropertyOptional({ description: 'Exact cluster id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  clusterId?: string;
}
