import { Inject, Injectable } from '@nestjs/common';
import type {
  DeleteStoragePoolData,
  DisableStoragePoolData,
  EnableStoragePoolData,
  Envelope,
  RefreshPoolCapacityData,
  Topics,
  UpdateStoragePoolData,
} from '@strata/contracts';
import { isBackendError } from '@strata/plugin-sdk';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { toDomainError, withBackendRetry } from '@strata/pool-access';
import { DriverRegistry, pluginOrReject } from '@strata/pool-access';
import { assertHypervisors } from './add-storage-pool.handler';
import { CONSUMER_GROUP } from '../../storage.constants';
import { poolDecider, poolStreamId, PoolErrors, type PoolCommand } from '../domain/pool';
import { PoolReader } from './pool-reader';
import { PoolVolumes } from './pool-volumes';

/** Decides a pool command and records its events, with the inbox mark of the command. */
@Injectable()
export class PoolCommandRunner {
  constructor(
    private readonly runner: AggregateRunner,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  run(command: Envelope, decide: PoolCommand): Promise<unknown> {
    return this.runner.execute(poolDecider, poolStreamId(command.aggregateId), command.aggregateId, () => decide, commandMeta(command), {
      outboxTopic: this.topics.storageEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
  }
}

/** Hypervisors must be among the plugin's, as when the pool was added. */
@Injectable()
export class UpdateStoragePoolHandler {
  constructor(
    private readonly pools: PoolCommandRunner,
    private readonly reader: PoolReader,
  ) {}
  async handle(command: Envelope<'UpdateStoragePool', UpdateStoragePoolData>): Promise<unknown> {
    const pool = await this.reader.get(command.aggregateId);
    if (pool.status !== 'absent' && command.data.hypervisors) assertHypervisors(pluginOrReject(pool.plugin), command.data.hypervisors);
    return this.pools.run(command, { type: 'UpdateStoragePool', poolId: command.aggregateId, settings: command.data });
  }
}

@Injectable()
export class EnableStoragePoolHandler {
  constructor(private readonly pools: PoolCommandRunner) {}
  handle(command: Envelope<'EnableStoragePool', EnableStoragePoolData>): Promise<unknown> {
    return this.pools.run(command, { type: 'EnableStoragePool', poolId: command.aggregateId });
  }
}

@Injectable()
export class DisableStoragePoolHandler {
  constructor(private readonly pools: PoolCommandRunner) {}
  handle(command: Envelope<'DisableStoragePool', DisableStoragePoolData>): Promise<unknown> {
    return this.pools.run(command, { type: 'DisableStoragePool', poolId: command.aggregateId, reason: command.data.reason ?? null });
  }
}

/** Refused while any volume lives on the pool; the refusal lists them. */
@Injectable()
export class DeleteStoragePoolHandler {
  constructor(
    private readonly pools: PoolCommandRunner,
    private readonly volumes: PoolVolumes,
  ) {}
  async handle(command: Envelope<'DeleteStoragePool', DeleteStoragePoolData>): Promise<unknown> {
    const liveVolumeIds = await this.volumes.liveVolumeIds(command.aggregateId);
    return this.pools.run(command, { type: 'DeleteStoragePool', poolId: command.aggregateId, liveVolumeIds });
  }
}

/** Measures the pool by its backend's own rules now, and records it even if unchanged. */
@Injectable()
export class RefreshPoolCapacityHandler {
  constructor(
    private readonly pools: PoolCommandRunner,
    private readonly reader: PoolReader,
    private readonly drivers: DriverRegistry,
  ) {}
  async handle(command: Envelope<'RefreshPoolCapacity', RefreshPoolCapacityData>): Promise<unknown> {
    const pool = await this.reader.get(command.aggregateId);
    if (pool.status === 'absent') throw PoolErrors.notFound(command.aggregateId);
    if (pool.status === 'deleted') throw PoolErrors.deleted(command.aggregateId);
    let capacity;
    try {
      const driver = await this.drivers.forPool(pool);
      capacity = await withBackendRetry(() => driver.getCapacity());
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
    return this.pools.run(command, {
      type: 'RecordPoolCapacity',
      poolId: pool.poolId,
      capacityBytes: capacity.totalBytes,
      usedBytes: capacity.usedBytes,
      onDemand: true,
    });
  }
}
