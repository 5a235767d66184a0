import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { PoolRow } from '../../read-model/domain/rows';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';

@Injectable()
export class GetPoolQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(id: string): Promise<PoolRow> {
    const pool = await this.dataSource.getRepository(PoolEntity).findOne({ where: { id } });
    if (!pool) throw notFound('pool', id);
    return pool;
  }
}
