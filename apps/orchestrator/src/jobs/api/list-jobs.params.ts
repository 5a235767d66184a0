import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { invalidRequest } from '../../errors';
import { CursorParam, DEFAULT_LIMIT, LimitParam } from '../../http/list-params';
import { JOB_STATUSES, type JobStatus } from '../../read-model/domain/rows';
import { decodeJobCursor, type JobKey } from '../domain/job-cursor';

/** GET /jobs: its own cursor (newest first by createdAt and id), the other lists' limit. */
export class ListJobsParams {
  @LimitParam()
  limit?: number;

  @CursorParam(400)
  cursor?: string;

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({ description: 'Exact command type: CreateVolume, DeployTemplateVolume, RebuildReadModels, ...', example: 'CreateVolume' })
  @IsOptional()
  @Matches(/^[A-Za-z][A-Za-z0-9]{0,63}$/)
  type?: string;

  @ApiPropertyOptional({ description: "The resource the command is about (the job's aggregateId)" })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  resourceId?: string;

  @ApiPropertyOptional({ description: 'Owner; a tenant only ever sees its own' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tenant?: string;
}

export function jobPageOf(params: ListJobsParams): { after?: JobKey; limit: number } {
  const limit = params.limit ?? DEFAULT_LIMIT;
  if (params.cursor === undefined) return { limit };
  const after = decodeJobCursor(params.cursor);
  if (!after) throw invalidRequest([{ field: 'cursor', rule: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
  return { after, limit };
}
