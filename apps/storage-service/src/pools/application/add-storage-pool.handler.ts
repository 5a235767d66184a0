import { Inject, Injectable } from '@nestjs/common';
import type { AddStoragePoolData, Envelope } from '@strata/contracts';
import { isBackendError, redactConfig } from '@strata/plugin-sdk';
import { AggregateRunner, TOPICS } from '@strata/service-kit';
import type { Topics } from '@strata/contracts';
import { DriverRegistry, pluginOrReject } from '../../infrastructure/driver-registry';
import { toDomainError, withBackendRetry } from '../../infrastructure/backend-errors';
import { poolDecider, poolStreamId } from '../domain/pool';
import { CONSUMER_GROUP } from '../../storage.constants';

/**
 * AddStoragePool: the configuration is checked against the plugin's manifest and the
 * backend is reached before anything is recorded, so a pool that exists in the log is
 * one that worked when it was added.
 */
@Injectable()
export class AddStoragePoolHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'AddStoragePool', AddStoragePoolData>): Promise<void> {
    const { data } = command;
    const plugin = pluginOrReject(data.plugin);
    let capacity;
    try {
      const driver = await this.drivers.probe(plugin, data.config);
      try {
        capacity = await withBackendRetry(() => driver.getCapacity());
      } finally {
        await driver.close();
      }
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, 'data.config.');
      throw error;
    }
    const poolId = command.aggregateId;
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
          config: redactConfig(plugin.manifest, { ...data.config }),
          capacityBytes: capacity.totalBytes,
          usedBytes: capacity.usedBytes,
        },
      }),
      { causationId: command.messageId, correlationId: command.correlationId, tenant: command.tenant },
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
  }
}
