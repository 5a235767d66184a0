import { Controller, Get, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorView } from '../http/error.view';
import { Ctx, type RequestContext } from '../http/request-context';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { GetJobQuery } from './get-job.query';
import { JobView } from './job.view';

@ApiTags('jobs')
@ApiHeader({ name: 'X-Tenant', required: false })
@Controller('jobs')
export class JobsController {
  constructor(private readonly getJob: GetJobQuery) {}

  @Get(':id')
  @ApiOperation({ summary: 'A command’s job: accepted, running, succeeded or failed' })
  @ApiOkResponse({ type: JobView })
  @ApiBadRequestResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView })
  get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<JobView> {
    return this.getJob.execute(id, context);
  }
}
