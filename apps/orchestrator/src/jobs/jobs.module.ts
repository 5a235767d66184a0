import { Module } from '@nestjs/common';
import { JobsController } from './api/jobs.controller';
import { GetJobQuery } from './application/get-job.query';

@Module({ controllers: [JobsController], providers: [GetJobQuery] })
export class JobsModule {}
