import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { capable, isBackendError, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { isTransient, toErrorInfo, withBackendRetry, VolumeHolds } from '@strata/pool-access';
import { AggregateRunner, crashPoint, TOPICS, type CommandMeta } from '@strata/service-kit';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import { SnapshotBackends } from './snapshot-backends';
import { snapshotDecider, snapshotStreamId, type SnapshotCommand, type SnapshotFacts, type SnapshotStatus } from '../domain/snapshot';

export type EffectOutcome = 'done' | 'nothing_to_do' | 'retry_later';

type WorkingSnapshot = SnapshotFacts & { readonly status: SnapshotStatus };

/** The backend operation behind each transitional status, as named in crash points and logs. */
const OPERATIONS: Partial<Record<SnapshotStatus, 'create' | 'delete' | 'revert'>> = { creating: 'create', deleting: 'delete', reverting: 'revert' };

/**
 * The backend side of a snapshot operation, run after its intent is recorded: by the
 * command handler straight away, and by recovery for whatever a crash left behind. The
 * backend calls are idempotent by the snapshot's deterministic name and the outcome append
 * is refused once recorded, so running this twice for one snapshot has one effect.
 */
@Injectable()
export class SnapshotEffects {
  private readonly log = new Logger(SnapshotEffects.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
    private readonly holds: VolumeHolds,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async complete(snapshotId: string, meta: CommandMeta): Promise<EffectOutcome> {
    const { state } = await this.runner.load(snapshotDecider, snapshotStreamId(snapshotId));
    if (state.status === 'absent') return 'nothing_to_do';
    const operation = OPERATIONS[state.status];
    if (!operation) return 'nothing_to_do';
    const pool = await this.view.pool(state.poolId);
    if (!pool) {
      // The intent was accepted against this pool, so the view had it: its absence is a view being rebuilt. Try later.
      this.log.warn(`snapshot ${snapshotId}: pool ${state.poolId} is not in the view yet; recovery retries the ${operation}`);
      return 'retry_later';
    }
    let outcome: SnapshotCommand;
    try {
      const driver = await this.backends.driverFor(pool);
      // The volume is held meanwhile: the storage service changes nothing of it until the snapshot or revert is done.
      outcome = await this.holds.hold([state.volumeId], async () => {
        crashPoint(`snapshot.before-backend.${operation}`);
        const done = await perform(driver, state);
        crashPoint(`snapshot.after-backend.${operation}`);
        return done;
      });
    } catch (error) {
      if (isTransient(error)) {
        this.log.warn(`snapshot ${snapshotId}: ${operation} still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info = toErrorInfo(error);
      this.log.error(`snapshot ${snapshotId}: ${operation} failed: ${info.code}: ${info.message}`);
      outcome = failure(state, info);
    }
    try {
      await this.runner.execute(snapshotDecider, snapshotStreamId(snapshotId), snapshotId, () => outcome, meta, {
        outboxTopic: this.topics.snapshotEvents,
      });
    } catch (error) {
      // Another worker (recovery, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'snapshot.illegal_state') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }
}

/** The backend call for the operation in flight, and the outcome it earns. */
async function perform(driver: PrimaryStorageDriver, s: WorkingSnapshot): Promise<SnapshotCommand> {
  switch (s.status) {
    case 'creating': {
      const made = await withBackendRetry(() => capable(driver, 'snapshot').createSnapshot(s.volumeBackendName, s.backendName));
      return { type: 'RecordSnapshotCreated', sizeBytes: made.sizeBytes };
    }
    case 'deleting':
      try {
        await withBackendRetry(() => capable(driver, 'snapshot').deleteSnapshot(s.volumeBackendName, s.backendName));
      } catch (error) {
        // The volume (and with it every snapshot of it) is gone already: what was to be deleted is.
        if (!(isBackendError(error) && error.kind === 'not_found')) throw error;
      }
      return { type: 'RecordSnapshotDeleted' };
    case 'reverting':
      await withBackendRetry(() => capable(driver, 'revert').revertToSnapshot(s.volumeBackendName, s.backendName));
      return { type: 'RecordSnapshotReverted' };
    default:
      throw new Error(`snapshot ${s.snapshotId} has no operation in flight`);
  }
}

function failure(s: WorkingSnapshot, error: ReturnType<typeof toErrorInfo>): SnapshotCommand {
  switch (s.status) {
    case 'creating':
      return { type: 'RecordSnapshotCreationFailed', error };
    case 'deleting':
      return { type: 'RecordSnapshotDeletionFailed', error };
    case 'reverting':
      return { type: 'RecordSnapshotRevertFailed', error };
    default:
      throw new Error(`snapshot ${s.snapshotId} has no operation in flight`);
  }
}
