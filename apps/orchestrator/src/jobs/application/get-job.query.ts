import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { JobRow } from '../../read-model/domain/rows';
import { JobEntity } from '../../read-model/infrastructure/job.entity';

@Injectable()
export class GetJobQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(id: string, context: RequestContext): Promise<JobRow> {
    const job = await this.dataSource.getRepository(JobEntity).findOne({ where: { id } });
    // Another tenant's job is as invisible as its volumes.
    if (!job || (context.tenant !== null && job.tenant !== context.tenant)) throw notFound('job', id);
    return job;
  }
}
