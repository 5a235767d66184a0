import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { imageStoreNotFound } from '../../errors';
import type { ImageStoreRow } from '../../read-model/domain/rows';
import { ImageStoreEntity } from '../../read-model/infrastructure/image-store.entity';

/** An image store by id (stores are infrastructure: every caller may read them). */
@Injectable()
export class ImageStoreLookup {
  constructor(private readonly dataSource: DataSource) {}

  async get(id: string): Promise<ImageStoreRow> {
    const store = await this.dataSource.getRepository(ImageStoreEntity).findOne({ where: { id } });
    if (!store) throw imageStoreNotFound(id);
    return store;
  }
}
