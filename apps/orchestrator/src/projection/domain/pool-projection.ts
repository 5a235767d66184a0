import type { StoragePoolAdded } from '@strata/contracts';
import type { PoolRow, VolumeRow } from '../../read-model/domain/rows';

/** What the pool's volumes already occupy, for a pool whose own event comes after theirs. */
export interface PoolUsage {
  readonly allocatedBytes: number;
  readonly volumeCount: number;
}

export const NO_USAGE: PoolUsage = { allocatedBytes: 0, volumeCount: 0 };

/** A new pool, or nothing when this (or a later) version of it is already projected. */
export function applyStoragePoolAdded(
  current: PoolRow | null,
  usage: PoolUsage,
  data: StoragePoolAdded,
  streamVersion: number,
  at: Date,
): PoolRow | undefined {
  if (current && current.version >= streamVersion) return undefined;
  return {
    id: data.poolId,
    name: data.name,
    plugin: data.plugin,
    zoneId: data.zoneId,
    clusterId: data.clusterId ?? null,
    tags: [...(data.tags ?? [])],
    config: { ...(data.config ?? {}) },
    status: 'enabled',
    capacityBytes: data.capacityBytes ?? 0,
    usedBytes: data.usedBytes ?? 0,
    allocatedBytes: current?.allocatedBytes ?? usage.allocatedBytes,
    volumeCount: current?.volumeCount ?? usage.volumeCount,
    version: streamVersion,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
}

const held = (volume: VolumeRow | null | undefined) =>
  volume?.allocated ? { bytes: volume.sizeBytes, count: 1 } : { bytes: 0, count: 0 };

/**
 * The pool after one of its volumes changed from `before` to `after`; undefined when its
 * usage did not change or the pool is not projected yet (its own event then counts the
 * volumes it finds).
 */
export function adjustPoolUsage(
  pool: PoolRow | null,
  before: VolumeRow | null,
  after: VolumeRow | undefined,
  at: Date,
): PoolRow | undefined {
  if (!pool || !after) return undefined;
  const was = held(before);
  const now = held(after);
  if (was.bytes === now.bytes && was.count === now.count) return undefined;
  return {
    ...pool,
    allocatedBytes: Math.max(0, pool.allocatedBytes + now.bytes - was.bytes),
    volumeCount: Math.max(0, pool.volumeCount + now.count - was.count),
    // Volume events of different partitions may be projected out of time order.
    updatedAt: at > pool.updatedAt ? at : pool.updatedAt,
  };
}
