import { Inject, Injectable } from '@nestjs/common';
import type { AddStoragePoolData, Envelope, Topics } from '@strata/contracts';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { isBackendError, redactConfig, type BackendPlugin } from '@strata/plugin-sdk';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { DriverRegistry, pluginOrReject } from '@strata/pool-access';
import { toDomainError, withBackendRetry } from '@strata/pool-access';
import { PoolSecrets, splitSecrets } from '@strata/pool-access';
import { POOL_DEFAULTS, poolDecider, poolStreamId } from '../domain/pool';
import { CONSUMER_GROUP } from '../../storage.constants';

/**
 * AddStoragePool: the configuration (given as config or as a pool URL) is checked against
 * the plugin's manifest and the backend is reached before anything is recorded, so a pool
 * that exists in the log is one that worked when it was added. Credentials are sealed
 * apart; the event carries the configuration with them redacted.
 */
@Injectable()
export class AddStoragePoolHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    private readonly secrets: PoolSecrets,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'AddStoragePool', AddStoragePoolData>): Promise<void> {
    const { data } = command;
    const plugin = pluginOrReject(data.plugin);
    assertHypervisors(plugin, data.hypervisors ?? []);
    const rawConfig = this.rawConfig(plugin, data);
    let capacity;
    try {
      const driver = await this.drivers.probe(plugin, rawConfig);
      try {
        capacity = await withBackendRetry(() => driver.getCapacity());
      } finally {
        await driver.close();
      }
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, data.url === undefined ? 'data.config.' : 'data.url.');
      throw error;
    }
    const poolId = command.aggregateId;
    const { secrets } = splitSecrets(rawConfig, plugin.manifest.secretConfigKeys);
    await this.runner.execute(
      poolDecider,
      poolStreamId(poolId),
      poolId,
      () => ({
        type: 'AddStoragePool' as const,
        pool: {
          poolId,
          name: data.name,
          plugin: plugin.manifest.name,
          zoneId: data.zoneId,
          clusterId: data.clusterId ?? null,
          tags: data.tags ?? [],
          config: redactConfig(plugin.manifest, rawConfig),
          capacityBytes: capacity.totalBytes,
          usedBytes: capacity.usedBytes,
          hypervisors: data.hypervisors ?? [],
          capacityIops: data.capacityIops ?? null,
          overProvisioningFactor: data.overProvisioningFactor ?? POOL_DEFAULTS.overProvisioningFactor,
          allocationDisableThreshold: data.allocationDisableThreshold ?? POOL_DEFAULTS.allocationDisableThreshold,
        },
      }),
      commandMeta(command),
      {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
        alsoWrite: (manager) => this.secrets.save(manager, poolId, secrets),
      },
    );
  }

  /** The plugin's raw settings: the config object, or what the plugin reads from the pool URL. */
  private rawConfig(plugin: BackendPlugin, data: AddStoragePoolData): Record<string, unknown> {
    if (data.url === undefined) return { ...(data.config ?? {}) };
    if (!plugin.parseUrl) {
      throw new DomainError('pool.url_unsupported', ErrorCategory.Validation, `the ${plugin.manifest.name} plugin takes no pool URL; give config`, {
        violations: [{ field: 'data.url', rule: 'urlSupported', message: `the ${plugin.manifest.name} plugin takes config, not a URL` }],
      });
    }
    try {
      return plugin.parseUrl(data.url);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, 'data.url.');
      throw error;
    }
  }
}

/** A pool serves only hypervisors its plugin declares. */
export function assertHypervisors(plugin: BackendPlugin, hypervisors: readonly string[]): void {
  const unsupported = hypervisors.filter((h) => !(plugin.manifest.hypervisors as readonly string[]).includes(h));
  if (unsupported.length === 0) return;
  const allowed = plugin.manifest.hypervisors.join(', ');
  throw new DomainError('pool.hypervisor_unsupported', ErrorCategory.Validation, `the ${plugin.manifest.name} plugin serves ${allowed}, not ${unsupported.join(', ')}`, {
    violations: [{ field: 'data.hypervisors', rule: 'pluginHypervisors', message: `hypervisors must be among the plugin's: ${allowed}` }],
  });
}
