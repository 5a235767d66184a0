import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../http/api-error';
import type { RequestContext } from '../http/request-context';
import { JobEntity } from '../read-model/job.entity';
import { toJobView, type JobView } from './job.view';

@Injectable()
export class GetJobQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(id: string, context: RequestContext): Promise<JobView> {
    const job = await this.dataSource.getRepository(JobEntity).findOne({ where: { id } });
    // Another tenant's job is as invisible as its volumes.
    if (!job || (context.tenant !== null && job.tenant !== context.tenant)) throw notFound('job', id);
    return toJobView(job);
  }
}
