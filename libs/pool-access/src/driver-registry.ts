import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { findPlugin } from '@strata/backends';
import { createDriverFromConfig, type BackendPlugin, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { MetricsRegistry, SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { PoolSecrets } from './pool-secrets';
import { timedDriver } from './timed-driver';

export interface PoolBackendRef {
  readonly poolId: string;
  readonly plugin: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export function pluginOrReject(name: string): BackendPlugin {
  const plugin = findPlugin(name);
  if (!plugin) {
    throw new DomainError('pool.plugin_unknown', ErrorCategory.Validation, `no storage plugin named "${name}"`, {
      violations: [{ field: 'data.plugin', rule: 'isIn', message: `plugin "${name}" is not registered` }],
    });
  }
  return plugin;
}

/**
 * One connected driver per pool, made on first use and closed on shutdown. With metrics
 * (PlatformModule provides them) every driver it hands out times its calls by plugin.
 */
@Injectable()
export class DriverRegistry implements OnApplicationShutdown {
  private readonly log = new Logger(DriverRegistry.name);
  private readonly drivers = new Map<string, Promise<PrimaryStorageDriver>>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly secrets: PoolSecrets,
    @Optional() private readonly metrics?: MetricsRegistry,
  ) {}

  /** A driver for a pool that is not stored yet: used to check a new pool's configuration. */
  async probe(plugin: BackendPlugin, rawConfig: unknown): Promise<PrimaryStorageDriver> {
    const created = createDriverFromConfig(plugin, rawConfig, { installationId: this.config.installationId });
    const driver = this.metrics ? timedDriver(created, plugin.manifest.name, this.metrics) : created;
    await driver.connect();
    return driver;
  }

  forPool(pool: PoolBackendRef): Promise<PrimaryStorageDriver> {
    let driver = this.drivers.get(pool.poolId);
    if (!driver) {
      // The recorded config has its credentials redacted; the sealed ones fill them back in.
      driver = this.secrets
        .load(pool.poolId)
        .then((secrets) => this.probe(pluginOrReject(pool.plugin), { ...pool.config, ...secrets }));
      // A failed connect is not cached: the next call tries again.
      driver.catch(() => this.drivers.delete(pool.poolId));
      this.drivers.set(pool.poolId, driver);
    }
    return driver;
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    for (const d of await Promise.allSettled(all)) {
      if (d.status === 'fulfilled') await d.value.close().catch((e: unknown) => this.log.warn(`close failed: ${String(e)}`));
    }
  }
}
