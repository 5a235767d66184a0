import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ErrorInfo, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { isDomainError } from '@strata/kernel';
import { AggregateRunner, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { isTransient, toErrorInfo, withBackendRetry } from '@strata/pool-access';
import { DriverRegistry } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { driftDecider, DriftErrors, driftStreamId, type DriftCommand, type DriftEvent } from '../domain/drift';
import { ownerOf } from '../domain/inventory';
import { PoolLedger } from './pool-ledger';

export type RemovalOutcome = 'done' | 'nothing_to_do' | 'retry_later';

/**
 * Serialises, per pool and backend name, the two commands that claim an orphan: the
 * RemoveOrphan intent and the ManageVolume adoption each take this lock in their append
 * transaction and re-check the other's mark inside it, so an object is never both
 * adopted and deleted.
 */
export async function lockBackendName(manager: EntityManager, poolId: string, backendName: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`strata-orphan:${poolId}:${backendName}`]);
}

/**
 * The backend side of RemoveOrphan, run after its intent is recorded: by the handler
 * straight away, and by the reconciler for an intent a crash left without an outcome.
 * The delete is idempotent and the outcome is refused once recorded, so running it twice
 * has one effect.
 */
@Injectable()
export class OrphanRemoval {
  private readonly log = new Logger(OrphanRemoval.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly pools: PoolReader,
    private readonly drivers: DriverRegistry,
    private readonly ledger: PoolLedger,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /** Removals asked for and not finished, each with the metadata of its command (so its job ends). */
  async pending(poolId: string): Promise<{ backendName: string; meta: CommandMeta }[]> {
    const stored = await this.store.readStream(driftStreamId(poolId));
    let state = driftDecider.initialState();
    const asked = new Map<string, CommandMeta>();
    for (const { envelope } of stored) {
      const event = { type: envelope.type, data: envelope.data } as DriftEvent;
      state = driftDecider.evolve(state, event);
      if (event.type === 'OrphanRemovalRequested') {
        asked.set(event.data.backendName, {
          causationId: envelope.causationId ?? envelope.messageId,
          correlationId: envelope.correlationId,
          tenant: envelope.tenant,
        });
      }
    }
    return state.removing.map((backendName) => ({ backendName, meta: asked.get(backendName)! }));
  }

  async finish(poolId: string, backendName: string, meta: CommandMeta): Promise<RemovalOutcome> {
    const { state } = await this.runner.load(driftDecider, driftStreamId(poolId));
    if (!state.removing.includes(backendName)) return 'nothing_to_do';
    let outcome: DriftCommand;
    const pool = await this.pools.get(poolId);
    const owner = ownerOf(await this.ledger.liveVolumes(poolId), backendName);
    if (pool.status === 'absent' || pool.status === 'deleted') {
      outcome = this.failed(poolId, backendName, { code: 'pool.deleted', category: 'not_found', message: `storage pool ${poolId} is gone: nothing was deleted` });
    } else if (owner !== null) {
      // Adopted since the intent was recorded: a volume's object is never deleted as an orphan.
      const refusal = DriftErrors.orphanOwned(poolId, backendName, owner);
      outcome = this.failed(poolId, backendName, { code: refusal.code, category: refusal.category, message: `${refusal.message}; nothing was deleted` });
    } else {
      try {
        const driver = await this.drivers.forPool(pool);
        await withBackendRetry(() => driver.deleteVolume(backendName));
        outcome = { type: 'RecordOrphanRemoved', poolId, backendName };
      } catch (error) {
        if (isTransient(error)) {
          this.log.warn(`orphan ${backendName} on pool ${poolId}: backend still failing (${toErrorInfo(error).message}); the next reconciliation retries it`);
          return 'retry_later';
        }
        const info = toErrorInfo(error);
        this.log.error(`orphan ${backendName} on pool ${poolId}: delete failed: ${info.code}: ${info.message}`);
        outcome = this.failed(poolId, backendName, info);
      }
    }
    try {
      await this.runner.execute(driftDecider, driftStreamId(poolId), poolId, () => outcome, meta, { outboxTopic: this.topics.storageEvents });
    } catch (error) {
      // Another worker (the reconciler, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'drift.no_removal_pending') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }

  private failed(poolId: string, backendName: string, error: ErrorInfo): DriftCommand {
    return { type: 'RecordOrphanRemovalFailed', poolId, backendName, error };
  }
}
