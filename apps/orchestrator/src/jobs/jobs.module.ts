import { Module } from '@nestjs/common';
import { GetJobQuery } from './get-job.query';
import { JobsController } from './jobs.controller';

@Module({ controllers: [JobsController], providers: [GetJobQuery] })
export class JobsModule {}
