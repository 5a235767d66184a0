import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { mapPage } from '../../http/cursor';
import { ErrorView } from '../../http/error.view';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { GetJobQuery } from '../application/get-job.query';
import { ListJobsQuery } from '../application/list-jobs.query';
import { JobPage, JobView, toJobView } from './job.view';
import { jobPageOf, ListJobsParams } from './list-jobs.params';

@ApiTags('jobs')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees only its own jobs' })
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly getJob: GetJobQuery,
    private readonly listJobs: ListJobsQuery,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List jobs, newest first, by status, command type or the resource they are about' })
  @ApiOkResponse({ type: JobPage })
  @ApiBadRequestResponse({ type: ErrorView })
  async list(@Query(new QueryPipe(ListJobsParams)) params: ListJobsParams, @Ctx() context: RequestContext): Promise<JobPage> {
    const { status, type, resourceId, tenant } = params;
    return mapPage(await this.listJobs.execute({ status, type, resourceId, tenant }, jobPageOf(params), context), toJobView);
  }

  @Get(':id')
  @ApiOperation({ summary: "A command's job: accepted, running, succeeded or failed" })
  @ApiOkResponse({ type: JobView })
  @ApiBadRequestResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<JobView> {
    return toJobView(await this.getJob.execute(id, context));
  }
}
