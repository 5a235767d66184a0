import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { VolumesOnPool } from '../../volumes/application/volumes-on-pool';
import type { LoggedVolume } from '../domain/inventory';

/**
 * The log's side of a reconciliation: every volume holding an object on the pool, with
 * the status the volume context gives it. A migration's other end (the copy being made,
 * the old copy not deleted yet) is owned but never judged missing: it is reported as
 * 'migrating', which is not a settled status.
 */
@Injectable()
export class PoolLedger {
  constructor(private readonly volumes: VolumesOnPool) {}

  /** `manager` reads inside a caller's transaction (after it took a lock). */
  async liveVolumes(poolId: string, manager?: EntityManager): Promise<LoggedVolume[]> {
    const found = await this.volumes.list(poolId, manager);
    return found
      .filter(({ state }) => state.status !== 'deleted')
      .map(({ state, holding, hadObject }) => ({
        volumeId: state.volumeId,
        backendName: holding.backendName,
        status: holding.home ? state.status : 'migrating',
        hadObject,
      }));
  }
}
