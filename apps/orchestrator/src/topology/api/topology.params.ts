import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { invalidRequest } from '../../errors';
import { CursorParam, DEFAULT_LIMIT, LimitParam } from '../../http/list-params';

/** limit and cursor, as every list; the cursor here is the last id of the page. */
export class TopologyPageParams {
  @LimitParam()
  limit?: number;

  @CursorParam(600)
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
