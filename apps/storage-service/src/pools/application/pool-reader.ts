import { Injectable } from '@nestjs/common';
import { AggregateRunner } from '@strata/service-kit';
import { poolDecider, poolStreamId, type PoolState } from '../domain/pool';

/** Reads a pool's current state from its stream; other contexts get only this view. */
@Injectable()
export class PoolReader {
  constructor(private readonly runner: AggregateRunner) {}

  async get(poolId: string): Promise<PoolState> {
    return (await this.runner.load(poolDecider, poolStreamId(poolId))).state;
  }
}
