import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATUSES, type JobRow } from '../../read-model/domain/rows';
import { ViolationView } from '../../http/error.view';

export class JobErrorView {
  @ApiProperty({ example: 'command.invalid' }) code!: string;
  @ApiProperty({ example: 'validation' }) category!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: [ViolationView], description: 'Field names as on the command topic (data.<field>)' })
  violations!: ViolationView[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Facts a refusal gave: { volumeIds } for pool.has_volumes, { candidates } for allocation.no_pool, ...',
  })
  details?: Record<string, unknown>;
}

export class JobView {
  @ApiProperty({ description: "The command's message id" }) id!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: string;
  @ApiProperty({ example: 'CreateVolume' }) commandType!: string;
  @ApiProperty({ type: String, nullable: true }) aggregateId!: string | null;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'Set when succeeded' })
  result!: Record<string, unknown> | null;
  @ApiProperty({ type: JobErrorView, nullable: true, description: 'Set when failed' })
  error!: JobErrorView | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 100,
    description: "Percent done, when the job's work reports it (a template's transfer, a template deployment's steps); null otherwise",
  })
  progress!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class JobPage {
  @ApiProperty({ type: [JobView] }) items!: JobView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toJobView(row: JobRow): JobView {
  return {
    id: row.id,
    status: row.status,
    commandType: row.commandType,
    aggregateId: row.aggregateId,
    tenant: row.tenant,
    result: row.result,
    error: row.error
      ? { ...row.error, violations: [...row.error.violations], ...(row.error.details ? { details: { ...row.error.details } } : {}) }
      : null,
    progress: row.progress ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
