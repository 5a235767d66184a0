import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { AggregateRunner, TOPICS, type CommandMeta } from '@strata/service-kit';
import { DriverRegistry } from '../../infrastructure/driver-registry';
import { isTransient, toErrorInfo, withBackendRetry } from '../../infrastructure/backend-errors';
import { PoolReader } from '../../pools/application/pool-reader';
import { volumeDecider, volumeStreamId, type VolumeCommand } from '../domain/volume';

export type EffectOutcome = 'done' | 'nothing_to_do' | 'retry_later';

/**
 * The backend side of a volume operation, run after its intent is recorded: by the
 * command handler straight away, and by recovery for whatever a crash left behind. Both
 * the backend call (deterministic name, idempotent) and the outcome append are safe to
 * repeat, so running this twice for one volume has one effect.
 */
@Injectable()
export class VolumeEffects {
  private readonly log = new Logger(VolumeEffects.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    private readonly pools: PoolReader,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async complete(volumeId: string, meta: CommandMeta): Promise<EffectOutcome> {
    const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
    if (state.status !== 'creating' && state.status !== 'deleting') return 'nothing_to_do';
    const pool = await this.pools.get(state.poolId);
    if (pool.status === 'absent') {
      // The intent was accepted against this pool, so its absence is corruption, not a user error.
      throw new Error(`volume ${volumeId} refers to pool ${state.poolId}, which has no events`);
    }
    let outcome: VolumeCommand;
    try {
      const driver = await this.drivers.forPool(pool);
      if (state.status === 'creating') {
        const created = await withBackendRetry(() =>
          driver.createVolume({ name: state.backendName, sizeBytes: state.sizeBytes, thin: true }),
        );
        outcome = { type: 'RecordVolumeCreated', sizeBytes: created.sizeBytes, path: created.path ?? null };
      } else {
        await withBackendRetry(() => driver.deleteVolume(state.backendName));
        outcome = { type: 'RecordVolumeDeleted' };
      }
    } catch (error) {
      if (isTransient(error)) {
        this.log.warn(`volume ${volumeId}: backend still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info = toErrorInfo(error);
      this.log.error(`volume ${volumeId}: ${state.status === 'creating' ? 'create' : 'delete'} failed: ${info.code}: ${info.message}`);
      outcome =
        state.status === 'creating'
          ? { type: 'RecordVolumeCreationFailed', error: info }
          : { type: 'RecordVolumeDeletionFailed', error: info };
    }
    try {
      await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, () => outcome, meta, {
        outboxTopic: this.topics.storageEvents,
      });
    } catch (error) {
      // Another worker (recovery, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'volume.illegal_state') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }
}
