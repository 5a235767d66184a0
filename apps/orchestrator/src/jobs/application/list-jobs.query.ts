import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../../http/request-context';
import type { JobStatus } from '../../read-model/domain/rows';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { toJobPage, type JobKey } from '../domain/job-cursor';

export interface JobFilter {
  readonly status?: JobStatus;
  /** The command type (CreateVolume, DeployTemplateVolume, RebuildReadModels, ...). */
  readonly type?: string;
  /** The resource the command is about (the job's aggregateId). */
  readonly resourceId?: string;
  readonly tenant?: string;
}

/** Jobs newest first, filtered, one keyset page at a time. */
@Injectable()
export class ListJobsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: JobFilter, page: { readonly after?: JobKey; readonly limit: number }, context: RequestContext): Promise<{ items: JobEntity[]; nextCursor: string | null }> {
    const q = this.dataSource
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .orderBy('j.createdAt', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(page.limit + 1);
    // A row comparison: PostgreSQL walks the (…, created_at, id) index backwards from the key.
    if (page.after) q.where('(j.createdAt, j.id) < (:at, :id)', { at: page.after.createdAt, id: page.after.id });
    if (filter.status) q.andWhere('j.status = :status', { status: filter.status });
    if (filter.type !== undefined) q.andWhere('j.commandType = :type', { type: filter.type });
    if (filter.resourceId !== undefined) q.andWhere('j.aggregateId = :resourceId', { resourceId: filter.resourceId });
    if (filter.tenant !== undefined) q.andWhere('j.tenant = :tenant', { tenant: filter.tenant });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('j.tenant = :scope', { scope: context.tenant });
    return toJobPage(await q.getMany(), page.limit);
  }
}
