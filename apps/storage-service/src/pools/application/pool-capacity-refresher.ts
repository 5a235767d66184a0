import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, Clock, intervalSetting, Periodic, TOPICS } from '@strata/service-kit';
import { withBackendRetry } from '@strata/pool-access';
import { DriverRegistry } from '@strata/pool-access';
import { POOL_STREAM_PREFIX, poolDecider, poolStreamId } from '../domain/pool';
import { PoolReader } from './pool-reader';

const REFRESH_INTERVAL_MS = intervalSetting('STRATA_CAPACITY_REFRESH_MS', 5 * 60_000);

/**
 * Measures every live pool on a schedule and records the capacity when it moved (the
 * decider ignores noise). A pool whose backend cannot be reached is logged and tried
 * again at the next round; it does not stop the others.
 */
@Injectable()
export class PoolCapacityRefresher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PoolCapacityRefresher.name);
  private readonly periodic = new Periodic(REFRESH_INTERVAL_MS, () => this.refreshAll());

  constructor(
    private readonly store: PgEventStore,
    private readonly reader: PoolReader,
    private readonly drivers: DriverRegistry,
    private readonly runner: AggregateRunner,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** Returns how many pools got a new measurement recorded. */
  async refreshAll(): Promise<number> {
    let recorded = 0;
    const round = this.clock.now().toISOString();
    for (const streamId of await this.store.streamIds(POOL_STREAM_PREFIX)) {
      const poolId = streamId.slice(POOL_STREAM_PREFIX.length);
      try {
        const pool = await this.reader.get(poolId);
        if (pool.status === 'absent' || pool.status === 'deleted') continue;
        const driver = await this.drivers.forPool(pool);
        const capacity = await withBackendRetry(() => driver.getCapacity());
        const id = `capacity-refresh:${poolId}:${round}`;
        const { events } = await this.runner.execute(
          poolDecider,
          poolStreamId(poolId),
          poolId,
          () => ({ type: 'RecordPoolCapacity' as const, poolId, capacityBytes: capacity.totalBytes, usedBytes: capacity.usedBytes, onDemand: false }),
          { causationId: id, correlationId: id, tenant: null },
          { outboxTopic: this.topics.storageEvents },
        );
        recorded += events.length;
      } catch (error) {
        this.log.warn(`capacity of pool ${poolId} not refreshed: ${(error as Error).message}`);
      }
    }
    return recorded;
  }
}
