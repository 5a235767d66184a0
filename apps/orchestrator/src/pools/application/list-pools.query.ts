import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';

/** Pools in the order they were added, one keyset page at a time. */
@Injectable()
export class ListPoolsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(page: PageRequest): Promise<Page<PoolEntity>> {
    const rows = await this.dataSource
      .getRepository(PoolEntity)
      .createQueryBuilder('p')
      .where('p.seq > :after', { after: page.after })
      .orderBy('p.seq', 'ASC')
      .limit(page.limit + 1)
      .getMany();
    return toPage(rows, page.limit);
  }
}
