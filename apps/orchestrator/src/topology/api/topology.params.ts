import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { invalidRequest } from '../../errors';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../http/list-params';

/** limit and cursor, as every list; the cursor here is the last id of the page. */
export class TopologyPageParams {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(600)
  cursor?: string;
}

export class ListClustersParams extends TopologyPageParams {
  @ApiPropertyOptional({ description: 'Exact zone id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  zoneId?: string;
}

export function cursorOf<K>(params: TopologyPageParams, decode: (cursor: string) => K | undefined): { after?: K; limit: number } {
  const limit = params.limit ?? DEFAULT_LIMIT;
  if (params.cursor === undefined) return { limit };
  const after = decode(params.cursor);
  if (after === undefined) throw invalidRequest([{ field: 'cursor', rule: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
  return { after, limit };
}
