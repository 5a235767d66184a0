import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CancelPoolMaintenanceData, EnterPoolMaintenanceData, Envelope, ErrorInfo, MaintenanceMove, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { isDomainError, uuidFromName } from '@strata/kernel';
import { AggregateRunner, type CommandMeta, commandMeta, intervalSetting, Periodic, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { PoolReader } from '../../pools/application/pool-reader';
import { poolDecider, poolStreamId, POOL_STREAM_PREFIX, type PoolCommand } from '../../pools/domain/pool';
import { AllocationLock } from '../../allocation/application/allocation-lock';
import { MigrationPlanner } from '../../volumes/application/migration-planner';
import { VolumeMigrations } from '../../volumes/application/volume-migrations';
import { VolumesOnPool, type VolumeOnPool } from '../../volumes/application/volumes-on-pool';
import { requireIdle, volumeDecider, volumeStreamId, type VolumeCommand } from '../../volumes/domain/volume';

const SWEEP_INTERVAL_MS = intervalSetting('STRATA_RECOVERY_INTERVAL_MS', 30_000);
/** A volume busy with a short operation (attach, QoS...) is waited for this long between looks. */
const BUSY_WAIT_MS = 1_000;

/** Why a volume on the pool cannot be moved off now, or null when it can be planned. */
function blockerOf({ state, holding }: VolumeOnPool): string | null {
  if (!holding.home) return 'it is being migrated to or from this pool: wait for that to finish';
  if (state.status === 'error') return `it is in error (${state.lastError?.message ?? 'unknown'}): delete it or clear the error first`;
  if (state.status !== 'ready' && state.status !== 'attached') return `it is ${state.status}: wait for that to finish`;
  if (state.inFlight) return `it is busy with a ${state.inFlight.kind}: wait for that to finish`;
  return null;
}

/**
 * Pool maintenance, a process over many volumes: entering plans a move for every volume
 * on the pool (refused with the reason for each one that cannot move), records the intent
 * (the pool takes no new volumes or attaches from then on), then moves the volumes one at
 * a time, each a MigrateVolume of its own with an id derived from the request, so a
 * restart repeats none and skips none. When none is left, the pool is in maintenance; a
 * move that fails stops the process (PoolMaintenanceFailed) until an operator cancels.
 * Cancelling stops it after the move in progress.
 */
@Injectable()
export class PoolMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PoolMaintenance.name);
  private readonly running = new Map<string, Promise<void>>();
  private readonly periodic = new Periodic(SWEEP_INTERVAL_MS, () => this.resumeAll());
  private stopped = false;

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly pools: PoolReader,
    private readonly volumes: VolumesOnPool,
    private readonly planner: MigrationPlanner,
    private readonly lock: AllocationLock,
    private readonly migrations: VolumeMigrations,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    void this.resumeAll();
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.periodic.stop();
    await Promise.allSettled([...this.running.values()]);
  }

  async enter(command: Envelope<'EnterPoolMaintenance', EnterPoolMaintenanceData>): Promise<void> {
    const poolId = command.aggregateId;
    const pool = await this.pools.get(poolId);
    const dataMoverHostId = command.data.dataMoverHostId ?? null;
    const moves: MaintenanceMove[] = [];
    const blockers: { volumeId: string; reason: string }[] = [];
    // Planned only for a pool that can enter; the decider answers the others.
    if (pool.status !== 'absent' && pool.status !== 'deleted' && pool.status !== 'maintenance') {
      const planned = new Map<string, number>();
      for (const found of await this.volumes.list(poolId)) {
        const reason = blockerOf(found);
        if (reason !== null) {
          blockers.push({ volumeId: found.state.volumeId, reason });
          continue;
        }
        try {
          const { plan } = await this.planner.plan(found.state, found.state.volumeId, { policy: 'first-fit', dataMoverHostId, planned });
          moves.push({ volumeId: found.state.volumeId, destinationPoolId: plan.toPoolId, mode: plan.mode });
          planned.set(plan.toPoolId, (planned.get(plan.toPoolId) ?? 0) + plan.sizeBytes);
        } catch (error) {
          if (!isDomainError(error)) throw error;
          blockers.push({ volumeId: found.state.volumeId, reason: error.message });
        }
      }
    }
    await this.record(poolId, { type: 'EnterPoolMaintenance', poolId, moves, blockers, dataMoverHostId }, commandMeta(command), command.messageId);
    this.advance(poolId);
  }

  async cancel(command: Envelope<'CancelPoolMaintenance', CancelPoolMaintenanceData>): Promise<void> {
    await this.record(command.aggregateId, { type: 'CancelPoolMaintenance', poolId: command.aggregateId }, commandMeta(command), command.messageId);
  }

  /** Moves the pool's volumes off in the background (or joins the run in progress). */
  advance(poolId: string): Promise<void> {
    let current = this.running.get(poolId);
    if (!current) {
      current = this.evacuate(poolId)
        .catch((error: unknown) => this.log.error(`maintenance of pool ${poolId} paused: ${(error as Error).message}; the next sweep resumes it`))
        .finally(() => this.running.delete(poolId));
      this.running.set(poolId, current);
    }
    return current;
  }

  /** Every pool entering maintenance, at start and on each sweep. */
  async resumeAll(): Promise<void> {
    try {
      for (const streamId of await this.store.streamIds(POOL_STREAM_PREFIX)) {
        const poolId = streamId.slice(POOL_STREAM_PREFIX.length);
        const pool = await this.pools.get(poolId);
        if (pool.status === 'maintenance' && pool.maintenance?.phase === 'entering') void this.advance(poolId);
      }
    } catch (error) {
      this.log.error(`maintenance sweep failed: ${(error as Error).message}`);
    }
  }

  private async evacuate(poolId: string): Promise<void> {
    const request = await this.requestOf(poolId);
    while (!this.stopped) {
      const pool = await this.pools.get(poolId);
      if (pool.status !== 'maintenance' || pool.maintenance?.phase !== 'entering' || !request) return;
      const onPool = await this.volumes.list(poolId);
      if (onPool.length === 0) {
        await this.record(poolId, { type: 'RecordPoolMaintenanceEntered', poolId }, request.meta);
        this.log.log(`pool ${poolId} is in maintenance`);
        return;
      }
      // A migration under way (this process's or one a crash left) is seen to its end first.
      const moving = onPool.find(({ state }) => state.inFlight?.kind === 'migrate' || state.inFlight?.kind === 'source-cleanup');
      if (moving) {
        const outcome = await this.migrations.run(moving.state.volumeId, this.moveMeta(request, moving.state.volumeId));
        // Left for later (backend unreachable, shutting down) or in another process's hands: the sweep comes back.
        if (outcome !== 'done') return;
        await this.failIfStayed(poolId, moving.state.volumeId, request.meta);
        continue;
      }
      const next = onPool.find((found) => found.holding.home);
      if (!next) return;
      const { state } = next;
      if (state.inFlight || state.status === 'creating' || state.status === 'deleting' || state.status === 'resizing') {
        // An operation that was under way when maintenance began (attach, QoS, delete...): let it end.
        await sleep(BUSY_WAIT_MS);
        continue;
      }
      const meta = this.moveMeta(request, state.volumeId);
      try {
        const volume = requireIdle(state, 'migrate it', state.volumeId);
        const dataMoverHostId = pool.maintenance.dataMoverHostId;
        await this.lock.inZone(pool.zoneId, async () => {
          const { plan, destination } = await this.planner.plan(volume, meta.causationId, { policy: 'first-fit', dataMoverHostId });
          await this.runner.execute(volumeDecider, volumeStreamId(state.volumeId), state.volumeId, (): VolumeCommand => ({ type: 'MigrateVolume', volumeId: state.volumeId, plan, destination }), meta, {
            outboxTopic: this.topics.storageEvents,
          });
        });
      } catch (error) {
        if (!isDomainError(error)) throw error;
        await this.fail(poolId, state.volumeId, { code: error.code, category: error.category, message: error.message }, request.meta);
        return;
      }
      const outcome = await this.migrations.run(state.volumeId, meta);
      if (outcome !== 'done') return;
      await this.failIfStayed(poolId, state.volumeId, request.meta);
    }
  }

  /** A migration that ended with the volume still at home failed: the process stops there. */
  private async failIfStayed(poolId: string, volumeId: string, meta: CommandMeta): Promise<void> {
    const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
    if (state.status === 'absent' || state.poolId !== poolId || state.inFlight) return;
    // Deleted meanwhile: nothing left to move.
    if (state.status === 'deleted') return;
    const error: ErrorInfo = state.lastError ?? { code: 'volume.migration_failed', category: 'backend', message: `volume ${volumeId} did not move` };
    await this.fail(poolId, volumeId, error, meta);
  }

  private async fail(poolId: string, volumeId: string, error: ErrorInfo, meta: CommandMeta): Promise<void> {
    this.log.error(`maintenance of pool ${poolId} stopped at volume ${volumeId}: ${error.message}`);
    await this.record(poolId, { type: 'RecordPoolMaintenanceFailed', poolId, volumeId, error }, meta);
  }

  /** Each move's id comes from the request and the volume: the same after any restart. */
  private moveMeta(request: { meta: CommandMeta }, volumeId: string): CommandMeta {
    return { ...request.meta, causationId: uuidFromName(`pool-maintenance:${request.meta.causationId}:${volumeId}`) };
  }

  /** The metadata of the command that asked for the current maintenance, so its job ends with the process. */
  private async requestOf(poolId: string): Promise<{ meta: CommandMeta } | null> {
    const stored = await this.store.readStream(poolStreamId(poolId));
    for (let i = stored.length - 1; i >= 0; i--) {
      const { envelope } = stored[i];
      if (envelope.type === 'PoolMaintenanceRequested') {
        return { meta: { causationId: envelope.causationId ?? envelope.messageId, correlationId: envelope.correlationId, tenant: envelope.tenant } };
      }
    }
    return null;
  }

  private async record(poolId: string, command: PoolCommand, meta: CommandMeta, inboxMessageId?: string): Promise<void> {
    try {
      await this.runner.execute(poolDecider, poolStreamId(poolId), poolId, () => command, meta, {
        outboxTopic: this.topics.storageEvents,
        ...(inboxMessageId ? { inbox: { consumer: CONSUMER_GROUP, messageId: inboxMessageId } } : {}),
      });
    } catch (error) {
      // The process's own outcomes may race a cancel: the cancel wins, quietly.
      if (!inboxMessageId && isDomainError(error) && error.code === 'pool.maintenance_not_entering') return;
      throw error;
    }
  }
}
