import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { PoolStatus } from '../../read-model/domain/rows';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';

export interface PoolFilter {
  /** Deleted pools are listed only when this asks for them. */
  readonly status?: PoolStatus;
  readonly zoneId?: string;
}

/** Pools in the order they were added, filtered, one keyset page at a time. */
@Injectable()
export class ListPoolsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: PoolFilter, page: PageRequest): Promise<Page<PoolEntity>> {
    const q = this.dataSource
      .getRepository(PoolEntity)
      .createQueryBuilder('p')
      .where('p.seq > :after', { after: page.after })
      .orderBy('p.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('p.status = :status', { status: filter.status });
    else q.andWhere(`p.status <> 'deleted'`);
    if (filter.zoneId !== undefined) q.andWhere('p.zoneId = :zoneId', { zoneId: filter.zoneId });
    return toPage(await q.getMany(), page.limit);
  }
}
