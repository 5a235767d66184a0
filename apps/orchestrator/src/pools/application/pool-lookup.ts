import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { PoolRow } from '../../read-model/domain/rows';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';

/** Pools as the read model knows them. */
@Injectable()
export class PoolLookup {
  constructor(private readonly dataSource: DataSource) {}

  /** Any projected pool, deleted ones included (GET /pools/{id} shows them). */
  async find(id: string): Promise<PoolRow> {
    const pool = await this.dataSource.getRepository(PoolEntity).findOne({ where: { id } });
    if (!pool) throw notFound('pool', id);
    return pool;
  }

  /** A pool a command may still be about: a deleted one is as unknown as one never added. */
  async live(id: string): Promise<PoolRow> {
    const pool = await this.find(id);
    if (pool.status === 'deleted') throw notFound('pool', id);
    return pool;
  }
}
