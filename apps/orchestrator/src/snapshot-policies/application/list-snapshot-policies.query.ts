import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotPolicyStatus } from '../../read-model/domain/rows';
import { SnapshotPolicyEntity } from '../../read-model/infrastructure/snapshot-policy.entity';

export interface SnapshotPolicyFilter {
  readonly volumeId?: string;
  /** Deleted policies are listed only when this asks for them. */
  readonly status?: SnapshotPolicyStatus;
}

/** Snapshot policies in the order they were projected, filtered, one keyset page at a time. */
@Injectable()
export class ListSnapshotPoliciesQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: SnapshotPolicyFilter, page: PageRequest, context: RequestContext): Promise<Page<SnapshotPolicyEntity>> {
    const q = this.dataSource
      .getRepository(SnapshotPolicyEntity)
      .createQueryBuilder('p')
      .where('p.seq > :after', { after: page.after })
      .orderBy('p.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('p.status = :status', { status: filter.status });
    else q.andWhere(`p.status <> 'deleted'`);
    if (filter.volumeId) q.andWhere('p.volumeId = :volumeId', { volumeId: filter.volumeId });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('p.tenant = :scope', { scope: context.tenant });
    return toPage(await q.getMany(), page.limit);
  }
}
