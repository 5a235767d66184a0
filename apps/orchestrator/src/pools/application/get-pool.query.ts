import { Injectable } from '@nestjs/common';
import type { PoolRow } from '../../read-model/domain/rows';
import { PoolLookup } from './pool-lookup';

/** GET /pools/{id}: a deleted pool is still shown, with status deleted. */
@Injectable()
export class GetPoolQuery {
  constructor(private readonly pools: PoolLookup) {}

  execute(id: string): Promise<PoolRow> {
    return this.pools.find(id);
  }
}
