import { Injectable } from '@nestjs/common';
import { findPlugin } from '@strata/backends';
import { fold } from '@strata/kernel';
import type { PluginManifest } from '@strata/plugin-sdk';
import { DataSource } from 'typeorm';
import { POOL_STREAM_PREFIX, poolDecider, type PoolEvent, type PoolState } from '../../pools/domain/pool';
import { VOLUME_STREAM_PREFIX } from '../../volumes/domain/volume';
import { SCHEMA } from '../../storage.constants';
import type { CandidatePlugin, PoolCandidate } from '../domain/allocator';
import { allocationByPool, FOOTPRINT_EVENT_TYPES, type PoolAllocation, type VolumeSizeEvent } from '../domain/volume-footprint';

/** A pool that exists (deleted ones are no candidates). */
type KnownPool = Exclude<PoolState, { status: 'absent' | 'deleted' }>;

interface EventRow {
  stream_id: string;
  type: string;
  data: unknown;
}

const like = (prefix: string) => `${prefix.replace(/[%_\\]/g, '\\$&')}%`;

/**
 * The pools allocation chooses from, read from the log: each pool's state (folded with the
 * pool decider), what its live volumes already hold, and its plugin's manifest. Two
 * queries per look-up, whatever the number of pools.
 */
@Injectable()
export class PoolCatalog {
  constructor(private readonly dataSource: DataSource) {}

  /** Every pool of the zone that is not deleted, in creation order (first fit's order). */
  async candidatesInZone(zoneId: string): Promise<PoolCandidate[]> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT stream_id, type, data FROM "${SCHEMA}".events WHERE stream_id LIKE $1 ORDER BY global_position`,
      [like(POOL_STREAM_PREFIX)],
    );
    // A Map keeps first-insertion order: the order the pools were added in.
    const streams = new Map<string, PoolEvent[]>();
    for (const row of rows) {
      const events = streams.get(row.stream_id) ?? [];
      events.push({ type: row.type, data: row.data } as PoolEvent);
      streams.set(row.stream_id, events);
    }
    const pools = [...streams.values()]
      .map((events) => fold(poolDecider, events))
      .filter((p): p is KnownPool => p.status !== 'absent' && p.status !== 'deleted' && p.zoneId === zoneId);
    return this.withAllocation(pools);
  }

  /** One pool as a candidate (a pool named in the request). */
  async candidate(pool: KnownPool): Promise<PoolCandidate> {
    const [one] = await this.withAllocation([pool]);
    return one;
  }

  private async withAllocation(pools: readonly KnownPool[]): Promise<PoolCandidate[]> {
    if (pools.length === 0) return [];
    const allocated = await this.allocation(pools.map((p) => p.poolId));
    return pools.map((p) => ({
      poolId: p.poolId,
      name: p.name,
      status: p.status,
      disabledReason: p.disabledReason,
      zoneId: p.zoneId,
      clusterId: p.clusterId,
      tags: p.tags,
      hypervisors: p.hypervisors,
      capacityBytes: p.capacityBytes,
      usedBytes: p.usedBytes,
      overProvisioningFactor: p.overProvisioningFactor,
      allocationDisableThreshold: p.allocationDisableThreshold,
      allocatedBytes: allocated.get(p.poolId)?.bytes ?? 0,
      capacityIops: p.capacityIops,
      allocatedIops: allocated.get(p.poolId)?.iops ?? 0,
      plugin: candidatePlugin(p.plugin),
    }));
  }

  /** Sizes and IOPS limits of the live volumes per pool (resizes and pending changes included), from the log. */
  async allocation(poolIds: readonly string[]): Promise<Map<string, PoolAllocation>> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT e.stream_id, e.type, e.data
         FROM "${SCHEMA}".events e
        WHERE e.type = ANY($3)
          AND e.stream_id IN (SELECT s.stream_id FROM "${SCHEMA}".events s
                               WHERE s.stream_id LIKE $2
                                 AND s.type IN ('VolumeCreationRequested', 'VolumeAllocated', 'VolumeManaged', 'VolumeMigrationRequested')
                                 AND (s.data->>'poolId' = ANY($1) OR s.data->>'toPoolId' = ANY($1)))
        ORDER BY e.stream_id, e.stream_version`,
      [poolIds, like(VOLUME_STREAM_PREFIX), FOOTPRINT_EVENT_TYPES],
    );
    const volumes = new Map<string, VolumeSizeEvent[]>();
    for (const row of rows) {
      const events = volumes.get(row.stream_id) ?? [];
      events.push({ type: row.type, data: row.data });
      volumes.set(row.stream_id, events);
    }
    return allocationByPool(volumes.values());
  }
}

/** What allocation needs of the plugin's manifest. */
function candidatePlugin(name: string): CandidatePlugin | null {
  const plugin = findPlugin(name);
  if (!plugin) return null;
  const manifest: PluginManifest = plugin.manifest;
  const caps = manifest.capabilities;
  return {
    name: manifest.name,
    hypervisors: manifest.hypervisors,
    capabilities: {
      thinProvisioning: caps.thinProvisioning,
      thickProvisioning: caps.thickProvisioning,
      overProvisioning: caps.overProvisioning,
      qosIops: caps.qosIops,
      qosBandwidth: caps.qosBandwidth,
      qosTiers: caps.qosTiers,
    },
    limits: manifest.limits,
  };
}
