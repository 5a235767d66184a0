import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { volumeDecider, VOLUME_STREAM_PREFIX, type VolumeEvent, type VolumeState } from '../../volumes/domain/volume';
import { SCHEMA } from '../../storage.constants';
import type { LoggedVolume } from '../domain/inventory';

/** Events after which a volume has (had) an object on the backend. */
const OBJECT_MADE = new Set(['VolumeCreated', 'VolumeManaged']);

/**
 * The log's side of a reconciliation: every volume whose stream began on the pool
 * (VolumeCreationRequested or VolumeManaged naming it) and is not deleted, folded by the
 * volume decider itself so that its status means what the volume context says it means.
 */
@Injectable()
export class PoolLedger {
  constructor(private readonly dataSource: DataSource) {}

  /** `manager` reads inside a caller's transaction (after it took a lock). */
  async liveVolumes(poolId: string, manager?: EntityManager): Promise<LoggedVolume[]> {
    const rows: { stream_id: string; type: string; data: unknown }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT e.stream_id, e.type, e.data
         FROM "${SCHEMA}".events e
        WHERE e.stream_id IN (SELECT f.stream_id FROM "${SCHEMA}".events f
                               WHERE f.stream_id LIKE $2 AND f.stream_version = 1 AND f.data->>'poolId' = $1)
        ORDER BY e.stream_id, e.stream_version`,
      [poolId, `${VOLUME_STREAM_PREFIX}%`],
    );
    const streams = new Map<string, { state: VolumeState; hadObject: boolean }>();
    for (const row of rows) {
      const entry = streams.get(row.stream_id) ?? { state: volumeDecider.initialState(), hadObject: false };
      entry.state = volumeDecider.evolve(entry.state, { type: row.type, data: row.data } as VolumeEvent);
      entry.hadObject ||= OBJECT_MADE.has(row.type);
      streams.set(row.stream_id, entry);
    }
    const live: LoggedVolume[] = [];
    for (const { state, hadObject } of streams.values()) {
      if (state.status === 'absent' || state.status === 'deleted' || state.poolId !== poolId) continue;
      live.push({ volumeId: state.volumeId, backendName: state.backendName, status: state.status, hadObject });
    }
    return live;
  }
}
