import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { neverReconciled } from '../../projection/domain/drift-projection';
import type { PoolDriftRow } from '../../read-model/domain/rows';
import { PoolDriftEntity } from '../../read-model/infrastructure/pool-drift.entity';
import { PoolLookup } from './pool-lookup';

/**
 * GET /pools/{id}/drift: what the pool's last reconciliation found, and the orphan
 * removals asked for. 404 for a pool the read model does not know; a pool no
 * reconciliation has reported on yet has an empty record (never_reconciled).
 */
@Injectable()
export class GetPoolDriftQuery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pools: PoolLookup,
  ) {}

  async execute(poolId: string): Promise<PoolDriftRow> {
    const pool = await this.pools.find(poolId);
    const drift = await this.dataSource.getRepository(PoolDriftEntity).findOne({ where: { poolId } });
    return drift ?? neverReconciled(poolId, pool.createdAt);
  }
}
