import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { SnapshotFacts, VolumeFacts } from '../../backups/domain/backup';

export interface ViewVolume extends VolumeFacts {
  readonly hostIds: readonly string[];
}

type Data = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The view's tables. Each storage or snapshot event is applied by one statement; an event
 * missing what it needs is skipped (the view is advisory: the other service decides again).
 */
@Injectable()
export class VolumeViewStore {
  constructor(private readonly dataSource: DataSource) {}

  async volume(volumeId: string): Promise<ViewVolume | null> {
    const rows: { volume_id: string; pool_id: string; size_bytes: string; status: string; host_ids: string[]; deleted: boolean }[] = await this.dataSource.query(
      `SELECT volume_id, pool_id, size_bytes, status, host_ids, deleted FROM "backup".view_volumes WHERE volume_id = $1`,
      [volumeId],
    );
    if (!rows.length) return null;
    const r = rows[0];
    return { volumeId: r.volume_id, poolId: r.pool_id, sizeBytes: Number(r.size_bytes), status: r.status, hostIds: r.host_ids, deleted: r.deleted };
  }

  async snapshot(snapshotId: string): Promise<SnapshotFacts | null> {
    const rows: { snapshot_id: string; volume_id: string; pool_id: string | null; status: string }[] = await this.dataSource.query(
      `SELECT s.snapshot_id, s.volume_id, coalesce(s.pool_id, v.pool_id) AS pool_id, s.status
         FROM "backup".view_snapshots s LEFT JOIN "backup".view_volumes v ON v.volume_id = s.volume_id WHERE s.snapshot_id = $1`,
      [snapshotId],
    );
    if (!rows.length || !rows[0].pool_id) return null;
    const r = rows[0];
    return { snapshotId: r.snapshot_id, volumeId: r.volume_id, poolId: r.pool_id as string, status: r.status };
  }

  /** Applies one event (inside the consumer's transaction); false when the view does not keep it. */
  async apply(m: EntityManager, type: string, d: Data): Promise<boolean> {
    const volumeId = str(d.volumeId);
    switch (type) {
      case 'VolumeCreationRequested':
      case 'VolumeCreated':
      case 'VolumeManaged': {
        const poolId = str(d.poolId);
        const size = num(d.sizeBytes);
        if (!volumeId || !poolId || size === null) return false;
        const status = type === 'VolumeCreationRequested' ? 'creating' : 'available';
        await m.query(
          `INSERT INTO "backup".view_volumes (volume_id, pool_id, size_bytes, status) VALUES ($1, $2, $3, $4)
           ON CONFLICT (volume_id) DO UPDATE SET pool_id = EXCLUDED.pool_id, size_bytes = EXCLUDED.size_bytes,
             status = CASE WHEN "backup".view_volumes.deleted THEN 'deleted' ELSE EXCLUDED.status END, updated_at = now()`,
          [volumeId, poolId, size, status],
        );
        return true;
      }
      case 'VolumeCreationFailed':
        if (!volumeId) return false;
        await m.query(`UPDATE "backup".view_volumes SET status = 'failed', updated_at = now() WHERE volume_id = $1`, [volumeId]);
        return true;
      case 'VolumeAttached': {
        const hostId = str(d.hostId);
        if (!volumeId || !hostId) return false;
        await m.query(
          `UPDATE "backup".view_volumes SET host_ids = (SELECT coalesce(jsonb_agg(DISTINCT h), '[]'::jsonb) FROM jsonb_array_elements_text(host_ids || to_jsonb($2::text)) h), updated_at = now() WHERE volume_id = $1`,
          [volumeId, hostId],
        );
        return true;
      }
      case 'VolumeDetached': {
        const hostId = str(d.hostId);
        if (!volumeId || !hostId) return false;
        await m.query(`UPDATE "backup".view_volumes SET host_ids = host_ids - $2::text, updated_at = now() WHERE volume_id = $1`, [volumeId, hostId]);
        return true;
      }
      case 'VolumeResized': {
        const size = num(d.sizeBytes);
        if (!volumeId || size === null) return false;
        await m.query(`UPDATE "backup".view_volumes SET size_bytes = $2, updated_at = now() WHERE volume_id = $1`, [volumeId, size]);
        return true;
      }
      case 'VolumeMigrated': {
        const poolId = str(d.toPoolId);
        if (!volumeId || !poolId) return false;
        await m.query(`UPDATE "backup".view_volumes SET pool_id = $2, updated_at = now() WHERE volume_id = $1`, [volumeId, poolId]);
        return true;
      }
      case 'VolumeDeleted':
        if (!volumeId) return false;
        await m.query(`UPDATE "backup".view_volumes SET deleted = true, status = 'deleted', host_ids = '[]'::jsonb, updated_at = now() WHERE volume_id = $1`, [volumeId]);
        return true;
      case 'SnapshotRequested':
      case 'SnapshotCreated': {
        const snapshotId = str(d.snapshotId);
        if (!snapshotId || !volumeId) return false;
        const status = type === 'SnapshotRequested' ? 'creating' : 'available';
        await m.query(
          `INSERT INTO "backup".view_snapshots (snapshot_id, volume_id, pool_id, size_bytes, status) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (snapshot_id) DO UPDATE SET pool_id = coalesce(EXCLUDED.pool_id, "backup".view_snapshots.pool_id),
             size_bytes = greatest(EXCLUDED.size_bytes, "backup".view_snapshots.size_bytes),
             status = CASE WHEN "backup".view_snapshots.status = 'deleted' THEN 'deleted' ELSE EXCLUDED.status END, updated_at = now()`,
          [snapshotId, volumeId, str(d.poolId), num(d.sizeBytes) ?? 0, status],
        );
        return true;
      }
      case 'SnapshotCreationFailed':
      case 'SnapshotDeleted': {
        const snapshotId = str(d.snapshotId);
        if (!snapshotId) return false;
        await m.query(`UPDATE "backup".view_snapshots SET status = $2, updated_at = now() WHERE snapshot_id = $1`, [
          snapshotId,
          type === 'SnapshotDeleted' ? 'deleted' : 'failed',
        ]);
        return true;
      }
      default:
        return false;
    }
  }
}
