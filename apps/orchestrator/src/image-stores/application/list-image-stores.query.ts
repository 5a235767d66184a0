import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { ImageStoreStatus } from '../../read-model/domain/rows';
import { ImageStoreEntity } from '../../read-model/infrastructure/image-store.entity';

export interface ImageStoreFilter {
  /** Removed stores are listed only when this asks for them. */
  readonly status?: ImageStoreStatus;
  readonly zoneId?: string;
}

/** Image stores in the order they were added, filtered, one keyset page at a time. */
@Injectable()
export class ListImageStoresQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: ImageStoreFilter, page: PageRequest): Promise<Page<ImageStoreEntity>> {
    const q = this.dataSource
      .getRepository(ImageStoreEntity)
      .createQueryBuilder('s')
      .where('s.seq > :after', { after: page.after })
      .orderBy('s.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('s.status = :status', { status: filter.status });
    else q.andWhere(`s.status <> 'removed'`);
    if (filter.zoneId !== undefined) q.andWhere('s.zoneId = :zoneId', { zoneId: filter.zoneId });
    return toPage(await q.getMany(), page.limit);
  }
}
