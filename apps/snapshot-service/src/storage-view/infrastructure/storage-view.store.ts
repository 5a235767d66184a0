import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isAttached, type PoolRow, type ViewPoolStatus, type ViewVolumeStatus, type VolumeRow } from '../domain/storage-view';

interface PoolRecord {
  pool_id: string;
  plugin: string;
  config: Record<string, unknown>;
  zone_id: string;
  status: string;
  version: number;
}

interface VolumeRecord {
  volume_id: string;
  pool_id: string;
  backend_name: string;
  status: string;
  host_ids: string[];
  attaching_host_id: string | null;
  size_bytes: string;
  version: number;
}

const toPool = (r: PoolRecord): PoolRow => ({
  poolId: r.pool_id,
  plugin: r.plugin,
  config: r.config,
  zoneId: r.zone_id,
  status: r.status as ViewPoolStatus,
  version: r.version,
});

const toVolume = (r: VolumeRecord): VolumeRow => ({
  volumeId: r.volume_id,
  poolId: r.pool_id,
  backendName: r.backend_name,
  status: r.status as ViewVolumeStatus,
  hostIds: r.host_ids,
  attachingHostId: r.attaching_host_id,
  sizeBytes: Number(r.size_bytes),
  version: r.version,
});

/** The pools and volumes tables of the storage view; reads outside a transaction for handlers, inside one for the consumer. */
@Injectable()
export class StorageViewStore {
  constructor(private readonly dataSource: DataSource) {}

  async pool(poolId: string, manager: EntityManager = this.dataSource.manager): Promise<PoolRow | null> {
    const rows: PoolRecord[] = await manager.query(`SELECT * FROM "snapshot".pools WHERE pool_id = $1`, [poolId]);
    return rows.length ? toPool(rows[0]) : null;
  }

  async volume(volumeId: string, manager: EntityManager = this.dataSource.manager): Promise<VolumeRow | null> {
    const rows: VolumeRecord[] = await manager.query(`SELECT * FROM "snapshot".volumes WHERE volume_id = $1`, [volumeId]);
    return rows.length ? toVolume(rows[0]) : null;
  }

  async savePool(manager: EntityManager, p: PoolRow): Promise<void> {
    await manager.query(
      `INSERT INTO "snapshot".pools (pool_id, plugin, config, zone_id, status, version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (pool_id) DO UPDATE SET plugin = EXCLUDED.plugin, config = EXCLUDED.config, zone_id = EXCLUDED.zone_id,
         status = EXCLUDED.status, version = EXCLUDED.version, updated_at = now()`,
      [p.poolId, p.plugin, JSON.stringify(p.config), p.zoneId, p.status, p.version],
    );
  }

  async saveVolume(manager: EntityManager, v: VolumeRow): Promise<void> {
    await manager.query(
      `INSERT INTO "snapshot".volumes (volume_id, pool_id, backend_name, status, attached, host_ids, attaching_host_id, size_bytes, version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (volume_id) DO UPDATE SET pool_id = EXCLUDED.pool_id, backend_name = EXCLUDED.backend_name, status = EXCLUDED.status,
         attached = EXCLUDED.attached, host_ids = EXCLUDED.host_ids, attaching_host_id = EXCLUDED.attaching_host_id,
         size_bytes = EXCLUDED.size_bytes, version = EXCLUDED.version, updated_at = now()`,
      [v.volumeId, v.poolId, v.backendName, v.status, isAttached(v), JSON.stringify(v.hostIds), v.attachingHostId, v.sizeBytes, v.version],
    );
  }
}
