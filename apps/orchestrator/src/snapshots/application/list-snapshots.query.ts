import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotStatus } from '../../read-model/domain/rows';
import { SnapshotEntity } from '../../read-model/infrastructure/snapshot.entity';

export interface SnapshotFilter {
  readonly volumeId?: string;
  /** Deleted snapshots are listed only when this asks for them. */
  readonly status?: SnapshotStatus;
}

/** Snapshots in the order they were requested, filtered, one keyset page at a time. */
@Injectable()
export class ListSnapshotsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: SnapshotFilter, page: PageRequest, context: RequestContext): Promise<Page<SnapshotEntity>> {
    const q = this.dataSource
      .getRepository(SnapshotEntity)
      .createQueryBuilder('s')
      .where('s.seq > :after', { after: page.after })
      .orderBy('s.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('s.status = :status', { status: filter.status });
    else q.andWhere(`s.status <> 'deleted'`);
    if (filter.volumeId) q.andWhere('s.volumeId = :volumeId', { volumeId: filter.volumeId });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('s.tenant = :scope', { scope: context.tenant });
    return toPage(await q.getMany(), page.limit);
  }
}
