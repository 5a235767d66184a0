import { Injectable } from '@nestjs/common';
import type { Envelope } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import { apiKeyNotFound, apiKeyStream } from '../domain/api-key';
import { ApiKeyEntity } from '../infrastructure/api-key.entity';

/** The keys in the order they were made (revoked ones included), one key, and a key's lifecycle events. */
@Injectable()
export class ApiKeyQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: PgEventStore,
  ) {}

  async list(page: PageRequest): Promise<Page<ApiKeyEntity>> {
    const rows = await this.dataSource
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.seq > :after', { after: page.after })
      .orderBy('k.seq', 'ASC')
      .limit(page.limit + 1)
      .getMany();
    return toPage(rows, page.limit);
  }

  async get(id: string): Promise<ApiKeyEntity> {
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id });
    if (!row) throw apiKeyNotFound(id);
    return row;
  }

  async history(id: string): Promise<Envelope[]> {
    await this.get(id);
    return (await this.events.readStream(apiKeyStream(id))).map((e) => e.envelope);
  }
}
