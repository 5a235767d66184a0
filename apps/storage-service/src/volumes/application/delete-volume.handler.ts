import { Inject, Injectable } from '@nestjs/common';
import type { DeleteVolumeData, Envelope, Topics } from '@strata/contracts';
import { isBackendError } from '@strata/plugin-sdk';
import { DriverRegistry, toDomainError, withBackendRetry } from '@strata/pool-access';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { PoolReader } from '../../pools/application/pool-reader';
import { descendantsOf } from '../domain/backend-lineage';
import { volumeDecider, volumeStreamId, VolumeErrors, type VolumeCommand, type VolumeState } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

/** Statuses in which the volume's object exists on the backend, so it may have snapshots. */
const MADE = new Set(['ready', 'attached', 'error']);

/**
 * DeleteVolume: ask the backend what hangs off the volume (its snapshots, and clones made
 * from them), refuse with the list unless deleteSnapshots says they go too (a clone, being
 * another volume, is never deleted with it), record the intent with the inbox mark, then
 * delete on the backend. LINSTOR, for one, refuses to delete a resource with snapshots:
 * asking first turns that into a clear answer instead of a failed deletion.
 */
@Injectable()
export class DeleteVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly effects: VolumeEffects,
    private readonly pools: PoolReader,
    private readonly drivers: DriverRegistry,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'DeleteVolume', DeleteVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
    const snapshots = await this.snapshotsOf(state);
    const withSnapshots = command.data.deleteSnapshots === true;
    const meta = commandMeta(command);
    await this.runner.execute(
      volumeDecider,
      volumeStreamId(volumeId),
      volumeId,
      (): VolumeCommand => ({ type: 'DeleteVolume', volumeId, snapshots, withSnapshots }),
      meta,
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
    await this.effects.complete(volumeId, meta);
  }

  /** The backend names of the volume's snapshots; refuses when other volumes were cloned from them. */
  private async snapshotsOf(state: VolumeState): Promise<string[]> {
    if (state.status === 'absent' || !MADE.has(state.status)) return [];
    const pool = await this.pools.get(state.poolId);
    if (pool.status === 'absent') return [];
    try {
      // Retried in place like the backend calls after the intent: a blip of the array (a
      // timeout, a 503 the client gave up on) must not refuse the delete for good.
      const tree = await withBackendRetry(async () => (await this.drivers.forPool(pool)).getVolumeTree(state.backendName));
      // Only what hangs below this volume: a clone's tree also holds its source and the source's snapshots.
      const below = descendantsOf(tree, state.backendName);
      const clones = below.filter((m) => m.kind === 'clone').map((m) => m.name);
      if (clones.length > 0) throw VolumeErrors.hasClones(state.volumeId, clones);
      return below.filter((m) => m.kind === 'snapshot').map((m) => m.name);
    } catch (error) {
      // Gone already (an error volume whose creation never made it): nothing hangs off it.
      if (isBackendError(error) && error.kind === 'not_found') return [];
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }
}
