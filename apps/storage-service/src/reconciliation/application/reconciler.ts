import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { isBackendError, poolKeyOf, type BackendVolume } from '@strata/plugin-sdk';
import { AggregateRunner, Clock, intervalSetting, Periodic, SERVICE_CONFIG, TOPICS, type CommandMeta, type ServiceConfig } from '@strata/service-kit';
import { toDomainError, withBackendRetry } from '@strata/pool-access';
import { DriverRegistry } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { POOL_STREAM_PREFIX, PoolErrors, type PoolState } from '../../pools/domain/pool';
import { driftDecider, driftStreamId, type DriftEvent, type DriftFindings } from '../domain/drift';
import { compareInventory, mergeReads, ourNames, type LoggedVolume } from '../domain/inventory';
import { OrphanRemoval } from './orphan-removal';
import { PoolLedger } from './pool-ledger';

const RECONCILE_INTERVAL_MS = intervalSetting('STRATA_RECONCILE_INTERVAL_MS', 10 * 60_000);

type LivePool = Exclude<PoolState, { status: 'absent' }> & { readonly status: 'enabled' | 'disabled' | 'maintenance' };

/** One look at a pool: the backend's objects, the log's live volumes, and the drift between them. */
export interface Inspection {
  readonly objects: readonly BackendVolume[];
  readonly volumes: readonly LoggedVolume[];
  readonly findings: DriftFindings;
  /** Whether a backend name is Strata's to judge on this pool (see ourNames). */
  readonly isOurs: (name: string) => boolean;
}

export interface ReconcileOptions {
  /** A ReconcilePool command: record the finding even if unchanged, and refuse with the reason on failure. */
  readonly onDemand: boolean;
  readonly meta: CommandMeta;
  /** The command's inbox mark, written with the drift record. */
  readonly inbox?: { readonly consumer: string; readonly messageId: string };
}

/**
 * Compares each pool's backend inventory with the event log and records the drift both
 * ways (orphans: objects no volume owns; missing: settled volumes whose object is gone)
 * in the pool's drift stream. It only reports: nothing is deleted or adopted without an
 * explicit RemoveOrphan or ManageVolume. Each round first finishes orphan removals a
 * crash left between intent and outcome. Runs on a schedule over every pool that is not
 * deleted, one round at a time, and on demand for ReconcilePool.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(Reconciler.name);
  private readonly periodic = new Periodic(RECONCILE_INTERVAL_MS, () => this.reconcileAll());

  constructor(
    private readonly store: PgEventStore,
    private readonly runner: AggregateRunner,
    private readonly pools: PoolReader,
    private readonly drivers: DriverRegistry,
    private readonly ledger: PoolLedger,
    private readonly removals: OrphanRemoval,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One scheduled round over every pool; returns how many drift events it recorded. */
  async reconcileAll(): Promise<number> {
    let recorded = 0;
    const round = this.clock.now().toISOString();
    for (const streamId of await this.store.streamIds(POOL_STREAM_PREFIX)) {
      const poolId = streamId.slice(POOL_STREAM_PREFIX.length);
      try {
        const pool = await this.pools.get(poolId);
        if (pool.status === 'deleted') {
          // Nothing to compare, but a removal asked for before the deletion still needs its outcome.
          await this.finishRemovals(poolId);
          continue;
        }
        if (pool.status === 'absent') continue;
        const id = `reconcile:${poolId}:${round}`;
        recorded += (await this.reconcile(poolId, { onDemand: false, meta: { causationId: id, correlationId: id, tenant: null } })).length;
      } catch (error) {
        // One unreachable backend does not stop the others; the next round tries again.
        this.log.warn(`pool ${poolId} not reconciled: ${(error as Error).message}`);
      }
    }
    return recorded;
  }

  /** Reconciles one pool now; returns the drift events recorded (always one when on demand). */
  async reconcile(poolId: string, options: ReconcileOptions): Promise<DriftEvent[]> {
    const pool = await this.livePool(poolId);
    await this.finishRemovals(poolId);
    const { findings } = await this.inspect(pool, options.onDemand);
    if (findings.orphans.length + findings.missing.length > 0) {
      this.log.warn(`pool ${poolId} drifted: ${findings.orphans.length} orphan(s), ${findings.missing.length} missing volume(s)`);
    }
    const { events } = await this.runner.execute(
      driftDecider,
      driftStreamId(poolId),
      poolId,
      () => ({ type: 'RecordReconciliation' as const, poolId, ...findings, onDemand: options.onDemand }),
      options.meta,
      { outboxTopic: this.topics.storageEvents, inbox: options.inbox },
    );
    return events;
  }

  /** The pool if it is enabled or disabled; the refusal that says why not otherwise. */
  async livePool(poolId: string): Promise<LivePool> {
    const pool = await this.pools.get(poolId);
    if (pool.status === 'absent') throw PoolErrors.notFound(poolId);
    if (pool.status === 'deleted') throw PoolErrors.deleted(poolId);
    return pool as LivePool;
  }

  /**
   * Lists the backend between two reads of the log (see mergeReads). With `asRefusal`,
   * a backend failure becomes a DomainError, so the command that asked is answered with it.
   */
  async inspect(pool: LivePool, asRefusal = true): Promise<Inspection> {
    const before = await this.ledger.liveVolumes(pool.poolId);
    let objects: BackendVolume[];
    const driver = await this.drivers.forPool(pool).catch((error: unknown) => this.backendFailure(error, asRefusal));
    try {
      objects = await withBackendRetry(() => driver.listVolumes());
    } catch (error) {
      return this.backendFailure(error, asRefusal);
    }
    const volumes = mergeReads(before, await this.ledger.liveVolumes(pool.poolId));
    const isOurs = ourNames(driver.manifest.naming, { poolKey: poolKeyOf(pool.poolId), installationId: this.config.installationId });
    return { objects, volumes, findings: compareInventory(objects, volumes, isOurs), isOurs };
  }

  private async finishRemovals(poolId: string): Promise<void> {
    for (const { backendName, meta } of await this.removals.pending(poolId)) {
      try {
        const outcome = await this.removals.finish(poolId, backendName, meta);
        if (outcome === 'done') this.log.log(`finished the removal of orphan ${backendName} on pool ${poolId}`);
      } catch (error) {
        this.log.error(`removal of orphan ${backendName} on pool ${poolId} not finished: ${(error as Error).message}`);
      }
    }
  }

  private backendFailure(error: unknown, asRefusal: boolean): never {
    if (asRefusal && isBackendError(error)) throw toDomainError(error);
    throw error;
  }
}
