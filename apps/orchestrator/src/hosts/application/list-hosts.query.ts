import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { HostStatus } from '../../read-model/domain/rows';
import { HostEntity } from '../../read-model/infrastructure/host.entity';

export interface HostFilter {
  /** Deregistered hosts are listed only when this asks for them. */
  readonly status?: HostStatus;
  readonly zoneId?: string;
  readonly clusterId?: string;
}

/** Hosts in the order they were registered, filtered, one keyset page at a time. */
@Injectable()
export class ListHostsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: HostFilter, page: PageRequest): Promise<Page<HostEntity>> {
    const q = this.dataSource
      .getRepository(HostEntity)
      .createQueryBuilder('h')
      .where('h.seq > :after', { after: page.after })
      .orderBy('h.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('h.status = :status', { status: filter.status });
    else q.andWhere(`h.status <> 'deregistered'`);
    if (filter.zoneId !== undefined) q.andWhere('h.zoneId = :zoneId', { zoneId: filter.zoneId });
    if (filter.clusterId !== undefined) q.andWhere('h.clusterId = :clusterId', { clusterId: filter.clusterId });
    return toPage(await q.getMany(), page.limit);
  }
}
