import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../../storage.constants';

/**
 * Which volumes still live on a pool, read from the log: every volume whose creation
 * was asked on the pool, or that was adopted there, and that has no VolumeDeleted yet
 * (creating, ready, deleting and failed ones all count: each may hold a backend object).
 */
@Injectable()
export class PoolVolumes {
  constructor(private readonly dataSource: DataSource) {}

  async liveVolumeIds(poolId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT r.data->>'volumeId' AS id
         FROM "${SCHEMA}".events r
        WHERE r.type IN ('VolumeCreationRequested', 'VolumeManaged') AND r.data->>'poolId' = $1
          AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".events d WHERE d.stream_id = r.stream_id AND d.type = 'VolumeDeleted')
        ORDER BY r.global_position`,
      [poolId],
    );
    return rows.map((r) => r.id);
  }
}
