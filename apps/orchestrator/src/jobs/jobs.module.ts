import { Module } from '@nestjs/common';
import { JobsController } from './api/jobs.controller';
import { GetJobQuery } from './application/get-job.query';
import { ListJobsQuery } from './application/list-jobs.query';

@Module({ controllers: [JobsController], providers: [GetJobQuery, ListJobsQuery] })
export class JobsModule {}
