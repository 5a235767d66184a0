import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { TEMPLATE_STATUSES, type TemplateStatus } from '../../read-model/domain/rows';

export class ListTemplatesParams extends PageParams {
  @ApiPropertyOptional({ enum: TEMPLATE_STATUSES, description: 'Deleted templates are listed only when asked for' })
  @IsOptional()
  @IsIn(TEMPLATE_STATUSES)
  status?: TemplateStatus;

  @ApiPropertyOptional({ description: "Templates with a copy on this zone's image store" })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  zoneId?: string;

  @ApiPropertyOptional({ enum: ['template', 'iso'] })
  @IsOptional()
  @IsIn(['template', 'iso'])
  kind?: string;

  @ApiPropertyOptional({ description: 'Exact name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;
}
