import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { invalidRequest } from '../errors';
import { decodeCursor, type PageRequest } from './cursor';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** limit and cursor, shared by every list endpoint. */
export class PageParams {
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
  @MaxLength(200)
  cursor?: string;
}

export function pageRequestOf(params: PageParams): PageRequest {
  const limit = params.limit ?? DEFAULT_LIMIT;
  if (params.cursor === undefined) return { after: 0, limit };
  const after = decodeCursor(params.cursor);
  if (after === undefined) {
    throw invalidRequest([{ field: 'cursor', rule: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
  }
  return { after, limit };
}
