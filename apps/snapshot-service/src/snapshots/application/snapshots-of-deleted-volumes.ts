import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { AggregateRunner, TOPICS, type CommandMeta } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../../snapshot.constants';
import { snapshotDecider, snapshotStreamId, type SnapshotCommand } from '../domain/snapshot';

/**
 * The storage service deletes a volume's snapshots with it only when asked (deleteSnapshots),
 * and only after reading them from the backend; this records each of them as deleted here
 * too, so no snapshot stays 'ready' for an object that is gone. Run after the view applies a
 * VolumeDeleted, and once at start (the view's claim and this step are two transactions: a
 * crash between them is caught up then). The query asks the view, so it needs no event.
 */
@Injectable()
export class SnapshotsOfDeletedVolumes implements OnApplicationBootstrap {
  private readonly log = new Logger(SnapshotsOfDeletedVolumes.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly dataSource: DataSource,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep().catch((error: unknown) => this.log.error(`sweep failed: ${(error as Error).message}`));
  }

  /** Returns how many snapshots it recorded as deleted. */
  async sweep(volumeId?: string, meta?: CommandMeta): Promise<number> {
    const rows: { snapshot_id: string; volume_id: string }[] = await this.dataSource.query(
      `SELECT r.data->>'snapshotId' AS snapshot_id, r.data->>'volumeId' AS volume_id
         FROM "${SCHEMA}".events r
         JOIN "${SCHEMA}".volumes v ON v.volume_id::text = r.data->>'volumeId' AND v.status = 'deleted'
        WHERE r.type = 'SnapshotRequested' AND ($1::text IS NULL OR r.data->>'volumeId' = $1)
          AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".events d WHERE d.stream_id = r.stream_id AND d.type = 'SnapshotDeleted')`,
      [volumeId ?? null],
    );
    let recorded = 0;
    for (const row of rows) {
      const causation = meta ?? { causationId: `volume-deleted:${row.volume_id}`, correlationId: row.volume_id, tenant: null };
      try {
        await this.runner.execute(snapshotDecider, snapshotStreamId(row.snapshot_id), row.snapshot_id, (): SnapshotCommand => ({ type: 'RecordDeletedWithVolume' }), causation, {
          outboxTopic: this.topics.snapshotEvents,
        });
        recorded += 1;
      } catch (error) {
        // Recorded meanwhile by another worker.
        if (isDomainError(error) && error.code === 'snapshot.illegal_state') continue;
        throw error;
      }
    }
    if (recorded > 0) this.log.log(`recorded ${recorded} snapshot(s) as deleted with their volume${volumeId ? ` ${volumeId}` : 's'}`);
    return recorded;
  }
}
