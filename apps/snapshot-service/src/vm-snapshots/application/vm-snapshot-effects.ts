import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ErrorInfo, Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { capable, isBackendError, type GroupSnapshotMember, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { isTransient, toErrorInfo, withBackendRetry, VolumeHolds } from '@strata/pool-access';
import { AggregateRunner, crashPoint, TOPICS, type CommandMeta } from '@strata/service-kit';
import { SnapshotBackends } from '../../snapshots/application/snapshot-backends';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import { vmSnapshotDecider, vmSnapshotStreamId, type VmSnapshotCommand, type VmSnapshotFacts, type VmSnapshotStatus } from '../domain/vm-snapshot';

export type VmEffectOutcome = 'done' | 'nothing_to_do' | 'retry_later';

type WorkingVmSnapshot = VmSnapshotFacts & { readonly status: VmSnapshotStatus };

/** The backend operation behind each transitional status, as named in crash points and logs. */
const OPERATIONS: Partial<Record<VmSnapshotStatus, 'create' | 'delete' | 'revert'>> = { creating: 'create', deleting: 'delete', reverting: 'revert' };

const groupMembers = (s: WorkingVmSnapshot): GroupSnapshotMember[] =>
  s.members.map((m) => ({ volumeName: m.volumeBackendName, snapshotName: m.snapshotBackendName }));

/**
 * The backend side of a VM snapshot operation, run after its intent is recorded: by the
 * command handler straight away, and by recovery for whatever a crash left behind. The group
 * call goes to the driver of the first member's pool (the decider allowed several pools only
 * when their backend cluster is one). Every call is idempotent by the deterministic names and
 * the outcome append is refused once recorded, so running this twice has one effect.
 */
@Injectable()
export class VmSnapshotEffects {
  private readonly log = new Logger(VmSnapshotEffects.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
    private readonly holds: VolumeHolds,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async complete(vmSnapshotId: string, meta: CommandMeta): Promise<VmEffectOutcome> {
    const { state } = await this.runner.load(vmSnapshotDecider, vmSnapshotStreamId(vmSnapshotId));
    if (state.status === 'absent') return 'nothing_to_do';
    const operation = OPERATIONS[state.status];
    if (!operation) return 'nothing_to_do';
    const poolId = state.members[0].poolId;
    const pool = await this.view.pool(poolId);
    if (!pool) {
      // The intent was accepted against this pool, so the view had it: its absence is a view being rebuilt. Try later.
      this.log.warn(`VM snapshot ${vmSnapshotId}: pool ${poolId} is not in the view yet; recovery retries the ${operation}`);
      return 'retry_later';
    }
    const progress: string[] = [];
    let outcome: VmSnapshotCommand;
    try {
      const driver = await this.backends.driverFor(pool);
      // Every member is held meanwhile: on the file backend, which copies member after member,
      // this is what makes the group one point in time (no command changes a member half-way).
      outcome = await this.holds.hold(
        state.members.map((m) => m.volumeId),
        async () => {
          crashPoint(`vmsnapshot.before-backend.${operation}`);
          const done = await perform(driver, state, progress);
          crashPoint(`vmsnapshot.after-backend.${operation}`);
          return done;
        },
      );
    } catch (error) {
      if (isTransient(error)) {
        this.log.warn(`VM snapshot ${vmSnapshotId}: ${operation} still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info = withProgress(state, toErrorInfo(error), progress);
      this.log.error(`VM snapshot ${vmSnapshotId}: ${operation} failed: ${info.code}: ${info.message}`);
      outcome = failure(state, info);
    }
    try {
      await this.runner.execute(vmSnapshotDecider, vmSnapshotStreamId(vmSnapshotId), vmSnapshotId, () => outcome, meta, {
        outboxTopic: this.topics.snapshotEvents,
      });
    } catch (error) {
      // Another worker (recovery, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'vmsnapshot.illegal_state') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }
}

/**
 * The backend calls for the operation in flight, and the outcome they earn. `progress` collects
 * the member volumes already reverted, so a revert that fails half-way says which ones moved.
 */
async function perform(driver: PrimaryStorageDriver, s: WorkingVmSnapshot, progress: string[]): Promise<VmSnapshotCommand> {
  switch (s.status) {
    case 'creating': {
      const made = await withBackendRetry(() => capable(driver, 'groupSnapshot').createGroupSnapshot(s.groupName, groupMembers(s)));
      return {
        type: 'RecordVmSnapshotCreated',
        members: s.members.map((m, index) => {
          // Drivers return the members in the order asked; matched by name anyway, so an order change cannot swap sizes.
          const snapshot = made.find((b) => b.name === m.snapshotBackendName && b.volumeName === m.volumeBackendName) ?? made[index];
          return { volumeId: m.volumeId, snapshotBackendName: m.snapshotBackendName, sizeBytes: snapshot?.sizeBytes ?? 0 };
        }),
      };
    }
    case 'deleting':
      try {
        await withBackendRetry(() => capable(driver, 'groupSnapshot').deleteGroupSnapshot(s.groupName, groupMembers(s)));
      } catch (error) {
        // A member volume (and with it its snapshots) is gone already: what was to be deleted is.
        if (!(isBackendError(error) && error.kind === 'not_found')) throw error;
      }
      return { type: 'RecordVmSnapshotDeleted' };
    case 'reverting': {
      // No backend reverts a group in one call: member by member, each idempotent, so a retry redoes them all safely.
      const reverter = capable(driver, 'revert');
      for (const m of s.members) {
        await withBackendRetry(() => reverter.revertToSnapshot(m.volumeBackendName, m.snapshotBackendName));
        progress.push(m.volumeId);
      }
      return { type: 'RecordVmSnapshotReverted' };
    }
    default:
      throw new Error(`VM snapshot ${s.vmSnapshotId} has no operation in flight`);
  }
}

/** A revert that failed after some members were reverted says so: the VM's disks are then from two points in time. */
function withProgress(s: WorkingVmSnapshot, info: ErrorInfo, reverted: readonly string[]): ErrorInfo {
  if (s.status !== 'reverting' || reverted.length === 0) return info;
  const rest = s.members.map((m) => m.volumeId).filter((id) => !reverted.includes(id));
  return {
    ...info,
    message: `${info.message}; volume(s) ${reverted.join(', ')} were reverted, ${rest.join(', ')} were not: revert the VM snapshot again before starting the VM`,
  };
}

function failure(s: WorkingVmSnapshot, error: ErrorInfo): VmSnapshotCommand {
  switch (s.status) {
    case 'creating':
      return { type: 'RecordVmSnapshotCreationFailed', error };
    case 'deleting':
      return { type: 'RecordVmSnapshotDeletionFailed', error };
    case 'reverting':
      return { type: 'RecordVmSnapshotRevertFailed', error };
    default:
      throw new Error(`VM snapshot ${s.vmSnapshotId} has no operation in flight`);
  }
}
