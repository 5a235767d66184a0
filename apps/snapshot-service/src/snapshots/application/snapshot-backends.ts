import { Inject, Injectable } from '@nestjs/common';
import { isBackendError, backendObjectName, OBJECT_PREFIXES, poolKeyOf, type PluginManifest, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { DriverRegistry, pluginOrReject, toDomainError, withBackendRetry } from '@strata/pool-access';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import type { PoolRow } from '../../storage-view/domain/storage-view';
import type { BackendFacts } from '../domain/snapshot';

/**
 * How the snapshot service reaches a volume's backend: the pool's plugin and manifest from
 * the view, a connected driver (credentials from storage.pool_secrets), deterministic names.
 */
@Injectable()
export class SnapshotBackends {
  constructor(
    private readonly drivers: DriverRegistry,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  manifestOf(pool: PoolRow): PluginManifest {
    return pluginOrReject(pool.plugin).manifest;
  }

  /** What the decider needs to know of the plugin: null for a pool the view lacks or that was deleted. */
  factsOf(pool: PoolRow | null): BackendFacts | null {
    if (!pool || pool.status === 'deleted') return null;
    const manifest = this.manifestOf(pool);
    return {
      plugin: manifest.name,
      label: `${manifest.vendor} ${manifest.name}`,
      snapshot: manifest.capabilities.snapshot,
      revert: manifest.capabilities.snapshot ? manifest.capabilities.revert : 'none',
    };
  }

  driverFor(pool: PoolRow): Promise<PrimaryStorageDriver> {
    return this.drivers.forPool({ poolId: pool.poolId, plugin: pool.plugin, config: pool.config });
  }

  /** The snapshot's name on the pool's backend: snap-<snapshotId>[-<pool key>][-<installation id>] within the backend's length. */
  snapshotName(pool: PoolRow, snapshotId: string): string {
    return backendObjectName(this.manifestOf(pool), OBJECT_PREFIXES.snapshot, {
      volumeId: snapshotId,
      poolKey: poolKeyOf(pool.poolId),
      installationId: this.config.installationId,
    });
  }

  /**
   * A question asked of the backend while judging a command (before any intent): transient
   * failures are retried in place; what still fails refuses the command with the backend's code.
   */
  async ask<T>(question: () => Promise<T>): Promise<T> {
    try {
      return await withBackendRetry(question);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }
}
