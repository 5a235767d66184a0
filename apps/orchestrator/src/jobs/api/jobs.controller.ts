import { Controller, Get, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorView } from '../../http/error.view';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { GetJobQuery } from '../application/get-job.query';
import { JobView, toJobView } from './job.view';

@ApiTags('jobs')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees only its own jobs' })
@Controller('jobs')
export class JobsController {
  constructor(private readonly getJob: GetJobQuery) {}

  @Get(':id')
  @ApiOperation({ summary: "A command's job: accepted, running, succeeded or failed" })
  @ApiOkResponse({ type: JobView })
  @ApiBadRequestResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<JobView> {
    return toJobView(await this.getJob.execute(id, context));
  }
}
