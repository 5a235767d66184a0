import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { invalidRequest } from '../errors';
import { decodeCursor, type PageRequest } from './cursor';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** The `limit` query parameter of every list: 1 to MAX_LIMIT, DEFAULT_LIMIT when absent. */
export const LimitParam = () =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(MAX_LIMIT),
  );

/** The `cursor` query parameter of every list; lists with longer keys allow longer cursors. */
export const CursorParam = (maxLength = 200) =>
  applyDecorators(ApiPropertyOptional({ description: 'nextCursor of the previous page' }), IsOptional(), IsString(), MaxLength(maxLength));

/** limit and cursor, shared by every list endpoint. */
export class PageParams {
  @LimitParam()
  limit?: number;

  @CursorParam()
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
