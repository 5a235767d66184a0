import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../http/api-error';
import { PoolEntity } from '../read-model/pool.entity';
import type { PoolRow } from '../read-model/rows';

@Injectable()
export class GetPoolQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(id: string): Promise<PoolRow> {
    const pool = await this.dataSource.getRepository(PoolEntity).findOne({ where: { id } });
    if (!pool) throw notFound('pool', id);
    return pool;
  }
}
