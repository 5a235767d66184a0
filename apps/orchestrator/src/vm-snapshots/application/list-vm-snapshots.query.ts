import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { VmSnapshotStatus } from '../../read-model/domain/rows';
import { VmSnapshotEntity } from '../../read-model/infrastructure/vm-snapshot.entity';

export interface VmSnapshotFilter {
  readonly vmId?: string;
  /** Deleted VM snapshots are listed only when this asks for them. */
  readonly status?: VmSnapshotStatus;
}

/** VM snapshots in the order they were requested, filtered, one keyset page at a time. */
@Injectable()
export class ListVmSnapshotsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: VmSnapshotFilter, page: PageRequest, context: RequestContext): Promise<Page<VmSnapshotEntity>> {
    const q = this.dataSource
      .getRepository(VmSnapshotEntity)
      .createQueryBuilder('s')
      .where('s.seq > :after', { after: page.after })
      .orderBy('s.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('s.status = :status', { status: filter.status });
    else q.andWhere(`s.status <> 'deleted'`);
    if (filter.vmId) q.andWhere('s.vmId = :vmId', { vmId: filter.vmId });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('s.tenant = :scope', { scope: context.tenant });
    return toPage(await q.getMany(), page.limit);
  }
}
