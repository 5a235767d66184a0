import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, RemoveOrphanData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { driftDecider, DriftErrors, driftStreamId } from '../domain/drift';
import { ownerOf } from '../domain/inventory';
import { lockBackendName, OrphanRemoval } from './orphan-removal';
import { PoolLedger } from './pool-ledger';
import { Reconciler } from './reconciler';

/**
 * RemoveOrphan (aggregate: the pool; data: backendName): deletes a backend object only
 * when the last reconciliation reported it as an orphan and it still is one now. The
 * intent is recorded first, then the backend delete (idempotent), then the outcome; an
 * intent a crash left without outcome is finished by the next reconciliation round.
 */
@Injectable()
export class RemoveOrphanHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly reconciler: Reconciler,
    private readonly ledger: PoolLedger,
    private readonly removal: OrphanRemoval,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'RemoveOrphan', RemoveOrphanData>): Promise<void> {
    const poolId = command.aggregateId;
    const { backendName } = command.data;
    const pool = await this.reconciler.livePool(poolId);
    const { objects, volumes, isOurs } = await this.reconciler.inspect(pool);
    const ownerVolumeId = ownerOf(volumes, backendName);
    const orphanKnown = ownerVolumeId === null && isOurs(backendName) && objects.some((o) => o.name === backendName);
    const meta = commandMeta(command);
    await this.runner.execute(
      driftDecider,
      driftStreamId(poolId),
      poolId,
      () => ({ type: 'RemoveOrphan' as const, poolId, backendName, orphanKnown, ownerVolumeId }),
      meta,
      {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
        // A ManageVolume of the same name may have committed since the check above.
        alsoWrite: async (manager) => {
          await lockBackendName(manager, poolId, backendName);
          const owner = ownerOf(await this.ledger.liveVolumes(poolId, manager), backendName);
          if (owner !== null) throw DriftErrors.orphanOwned(poolId, backendName, owner);
        },
      },
    );
    await this.removal.finish(poolId, backendName, meta);
  }
}
