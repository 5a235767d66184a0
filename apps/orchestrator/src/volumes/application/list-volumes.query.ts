import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { VolumeStatus } from '../../read-model/domain/rows';
import { VolumeEntity } from '../../read-model/infrastructure/volume.entity';

export interface VolumeFilter {
  readonly poolId?: string;
  /** Deleted volumes are listed only when this asks for them. */
  readonly status?: VolumeStatus;
  readonly name?: string;
  readonly tenant?: string;
}

/** Volumes in creation order, filtered, one keyset page at a time. */
@Injectable()
export class ListVolumesQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: VolumeFilter, page: PageRequest, context: RequestContext): Promise<Page<VolumeEntity>> {
    const q = this.dataSource
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .where('v.seq > :after', { after: page.after })
      .orderBy('v.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('v.status = :status', { status: filter.status });
    else q.andWhere(`v.status <> 'deleted'`);
    if (filter.poolId) q.andWhere('v.poolId = :poolId', { poolId: filter.poolId });
    if (filter.name !== undefined) q.andWhere('v.name = :name', { name: filter.name });
    if (filter.tenant !== undefined) q.andWhere('v.tenant = :tenant', { tenant: filter.tenant });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('v.tenant = :scope', { scope: context.tenant });
    return toPage(await q.getMany(), page.limit);
  }
}
