import { Injectable } from '@nestjs/common';
import { VolumesOnPool } from '../../volumes/application/volumes-on-pool';

/**
 * Which volumes still hold something on a pool, read from the log: every volume living
 * there that is not deleted (creating, ready, deleting and failed ones all count: each may
 * hold a backend object), and every volume migrating to or from it.
 */
@Injectable()
export class PoolVolumes {
  constructor(private readonly volumes: VolumesOnPool) {}

  async liveVolumeIds(poolId: string): Promise<string[]> {
    const found = await this.volumes.list(poolId);
    return [...new Set(found.filter(({ state }) => state.status !== 'deleted').map(({ state }) => state.volumeId))];
  }
}
