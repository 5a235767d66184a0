import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../http/cursor';
import { pageOf, PageParams } from '../http/list-params';
import { PoolEntity } from '../read-model/pool.entity';
import { toPoolView, type PoolView } from './pool.view';

export class ListPoolsParams extends PageParams {}

@Injectable()
export class ListPoolsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(params: ListPoolsParams): Promise<Page<PoolView>> {
    const { after, limit } = pageOf(params);
    const rows = await this.dataSource
      .getRepository(PoolEntity)
      .createQueryBuilder('p')
      .where('p.seq > :after', { after })
      .orderBy('p.seq', 'ASC')
      .limit(limit + 1)
      .getMany();
    return toPage(rows, limit, toPoolView);
  }
}
