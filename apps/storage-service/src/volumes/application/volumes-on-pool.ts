import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SCHEMA } from '../../storage.constants';
import { volumeDecider, volumeHoldings, VOLUME_STREAM_PREFIX, type VolumeEvent, type VolumeHolding, type VolumeState } from '../domain/volume';

/** Events after which a volume has (had) an object on its own pool. */
const OBJECT_MADE = new Set(['VolumeCreated', 'VolumeManaged', 'VolumeMigrated']);

export interface VolumeOnPool {
  readonly state: Exclude<VolumeState, { status: 'absent' }>;
  /** What it holds on the asked pool. */
  readonly holding: VolumeHolding;
  /** Its home object was made once (a failed creation never made one). */
  readonly hadObject: boolean;
}

/**
 * The volumes that hold a backend object on a pool, read from the log and folded by the
 * volume decider: those living there, and those migrating to or from it (a copy being
 * made there, or an old copy not deleted yet). Pool deletion, maintenance and
 * reconciliation all ask this one question, so a migration is seen the same way by each.
 */
@Injectable()
export class VolumesOnPool {
  constructor(private readonly dataSource: DataSource) {}

  /** `manager` reads inside a caller's transaction (after it took a lock). */
  async list(poolId: string, manager?: EntityManager): Promise<VolumeOnPool[]> {
    const rows: { stream_id: string; type: string; data: unknown }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT e.stream_id, e.type, e.data
         FROM "${SCHEMA}".events e
        WHERE e.stream_id IN (SELECT f.stream_id FROM "${SCHEMA}".events f
                               WHERE f.stream_id LIKE $2 AND (f.data->>'poolId' = $1 OR f.data->>'toPoolId' = $1))
        ORDER BY e.global_position`,
      [poolId, `${VOLUME_STREAM_PREFIX}%`],
    );
    // Insertion order is each volume's first event: the volumes come out oldest first.
    const streams = new Map<string, { state: VolumeState; hadObject: boolean }>();
    for (const row of rows) {
      const entry = streams.get(row.stream_id) ?? { state: volumeDecider.initialState(), hadObject: false };
      entry.state = volumeDecider.evolve(entry.state, { type: row.type, data: row.data } as VolumeEvent);
      // A move to another pool starts the home object's history again.
      if (row.type === 'VolumeMigrated') entry.hadObject = true;
      else entry.hadObject ||= OBJECT_MADE.has(row.type);
      streams.set(row.stream_id, entry);
    }
    const out: VolumeOnPool[] = [];
    for (const { state, hadObject } of streams.values()) {
      if (state.status === 'absent') continue;
      for (const holding of volumeHoldings(state)) {
        if (holding.poolId === poolId) out.push({ state, holding, hadObject: holding.home ? hadObject : false });
      }
    }
    return out;
  }
}
