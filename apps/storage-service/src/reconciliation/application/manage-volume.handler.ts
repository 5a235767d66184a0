import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, ManageVolumeData, Topics } from '@strata/contracts';
import { fold } from '@strata/kernel';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId } from '../../volumes/domain/volume';
import { assertCurrentOrphan, driftDecider, driftStreamId, type DriftEvent, type OrphanCheck } from '../domain/drift';
import { ownerOf } from '../domain/inventory';
import { lockBackendName } from './orphan-removal';
import { Reconciler } from './reconciler';

/**
 * ManageVolume (aggregate: the new volume; data: poolId, backendName, name): adopts an
 * orphan as a ready volume, at the size the backend reports. Only an object that the last
 * reconciliation reported as an orphan and that still is one now can be adopted; the
 * next reconciliation then counts it as owned.
 */
@Injectable()
export class ManageVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly reconciler: Reconciler,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'ManageVolume', ManageVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { poolId, backendName, name } = command.data;
    const pool = await this.reconciler.livePool(poolId);
    const { objects, volumes, isOurs } = await this.reconciler.inspect(pool);
    const object = objects.find((o) => o.name === backendName);
    const check: OrphanCheck = {
      poolId,
      backendName,
      ownerVolumeId: ownerOf(volumes, backendName),
      orphanKnown: object !== undefined && isOurs(backendName) && ownerOf(volumes, backendName) === null,
    };
    assertCurrentOrphan((await this.runner.load(driftDecider, driftStreamId(poolId))).state, check);
    await this.runner.execute(
      volumeDecider,
      volumeStreamId(volumeId),
      volumeId,
      () => ({ type: 'ManageVolume' as const, volumeId, name, poolId, backendName, sizeBytes: object!.sizeBytes, path: object!.path ?? null }),
      commandMeta(command),
      {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
        // A RemoveOrphan of the same name may have recorded its intent since the check above.
        alsoWrite: async (manager) => {
          await lockBackendName(manager, poolId, backendName);
          const drift = (await this.store.readStream(driftStreamId(poolId), manager)).map(
            (e) => ({ type: e.envelope.type, data: e.envelope.data }) as DriftEvent,
          );
          assertCurrentOrphan(fold(driftDecider, drift), check);
        },
      },
    );
  }
}
