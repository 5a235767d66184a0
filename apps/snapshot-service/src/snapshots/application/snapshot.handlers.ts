import { Inject, Injectable } from '@nestjs/common';
import type { CreateSnapshotData, DeleteSnapshotData, Envelope, RevertToSnapshotData, Topics } from '@strata/contracts';
import { capable } from '@strata/plugin-sdk';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../snapshot.constants';
import { hostCountOf, type PoolRow, type VolumeRow } from '../../storage-view/domain/storage-view';
import { StorageViewLag, type ViewMark } from '../../storage-view/application/storage-view-lag';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import { snapshotDecider, snapshotStreamId, type SnapshotCommand, type SnapshotState, type TreeFacts, type VolumeFacts } from '../domain/snapshot';
import { SnapshotBackends } from './snapshot-backends';
import { SnapshotEffects } from './snapshot-effects';
import { SnapshotBackupSettings } from '../../settings/application/snapshot-backup-setting.handler';

export const volumeFacts = (v: VolumeRow | null): VolumeFacts | null =>
  v && { volumeId: v.volumeId, poolId: v.poolId, backendName: v.backendName, status: v.status, hostCount: hostCountOf(v) };

/** Statuses in which the storage service leaves a volume alone long enough to snapshot it. */
export const SNAPSHOTTABLE = new Set(['ready', 'attached']);

/** Records a snapshot command's intent with the command's inbox mark, then runs its backend side. */
@Injectable()
export class SnapshotCommandRunner {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly effects: SnapshotEffects,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async load(snapshotId: string): Promise<SnapshotState> {
    return (await this.runner.load(snapshotDecider, snapshotStreamId(snapshotId))).state;
  }

  async run(command: Envelope, decide: (state: SnapshotState) => SnapshotCommand): Promise<void> {
    const meta = commandMeta(command);
    await this.runner.execute(snapshotDecider, snapshotStreamId(command.aggregateId), command.aggregateId, decide, meta, {
      outboxTopic: this.topics.snapshotEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
    await this.effects.complete(command.aggregateId, meta);
  }
}

/**
 * CreateSnapshot: the volume and its pool from the view; the tree's snapshot count from the
 * backend (asked only when the snapshot could otherwise be taken), so a full tree is refused
 * with the numbers before any intent; then the intent, then the backend call.
 */
@Injectable()
export class CreateSnapshotHandler {
  constructor(
    private readonly snapshots: SnapshotCommandRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
    private readonly settings: SnapshotBackupSettings,
    private readonly viewLag: StorageViewLag,
  ) {}

  /** `origin`: set when a snapshot policy asks for the snapshot (recorded in SnapshotRequested); absent for a user's command. */
  async handle(command: Envelope<'CreateSnapshot', CreateSnapshotData>, origin?: { readonly policyId: string; readonly dueAt: string }): Promise<void> {
    const snapshotId = command.aggregateId;
    const { volumeId, name } = command.data;
    const volume = await this.settledVolume(volumeId);
    const pool = volume ? await this.view.pool(volume.poolId) : null;
    const backend = this.backends.factsOf(pool);
    let tree: TreeFacts | null = null;
    let backendName = '';
    const existing = await this.snapshots.load(snapshotId);
    const backup = await this.settings.backupSnapshots(volumeId);
    if (existing.status === 'absent' && volume && pool && backend?.snapshot && SNAPSHOTTABLE.has(volume.status)) {
      const driver = await this.backends.driverFor(pool);
      const found = await this.backends.ask(() => driver.getVolumeTree(volume.backendName));
      tree = { snapshotCount: found.snapshotCount, snapshotLimit: found.snapshotLimit };
      backendName = this.backends.snapshotName(pool, snapshotId);
    }
    await this.snapshots.run(command, () => ({
      type: 'CreateSnapshot',
      snapshotId,
      volumeId,
      name,
      volume: volumeFacts(volume),
      backend,
      tree,
      backendName,
      policyId: origin?.policyId ?? null,
      dueAt: origin?.dueAt ?? null,
      backup,
    }));
  }

  /**
   * The volume as the view has it; while the view says "creating", asked again for a few
   * seconds first. The view follows the storage events in a consumer group of its own, so a
   * sender that acted on VolumeCreated (the image service's spool, a platform) can be ahead of
   * it: the command would be refused for a volume that is in fact ready. A volume the view does
   * not have at all is waited for only while the view is behind the topic (after a restart it
   * replays everything published while the service was down, which can take many seconds);
   * once it has caught up, an absent volume is unknown and refused at once. Bounded, so a volume
   * that really is being created (or never existed) is refused after the wait, as before.
   */
  private async settledVolume(volumeId: string): Promise<Awaited<ReturnType<StorageViewStore['volume']>>> {
    const start = Date.now();
    let mark: ViewMark | null | undefined;
    for (;;) {
      const volume = await this.view.volume(volumeId);
      if (volume && volume.status !== 'creating') return volume;
      const waited = Date.now() - start;
      if (waited >= VIEW_BEHIND_MS) return volume;
      // Creating: the first few seconds regardless (its outcome is usually on its way). Absent, or
      // creating for longer: until the view has read what was on the topic by then, and no longer.
      if (!volume || waited >= VIEW_CATCH_UP_MS) {
        if (mark === undefined) mark = await this.viewLag.mark();
        if (mark === null || (await this.viewLag.reached(mark))) return this.view.volume(volumeId);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** How long a CreateSnapshot waits for the storage view to see a creating volume's outcome. */
const VIEW_CATCH_UP_MS = 5_000;
/** The longest a CreateSnapshot waits for a storage view that is behind the topic (its partition waits meanwhile). */
const VIEW_BEHIND_MS = 60_000;

/** DeleteSnapshot: record the intent, then delete on the backend (a missing snapshot is success). */
@Injectable()
export class DeleteSnapshotHandler {
  constructor(private readonly snapshots: SnapshotCommandRunner) {}

  async handle(command: Envelope<'DeleteSnapshot', DeleteSnapshotData>): Promise<void> {
    await this.snapshots.run(command, () => ({ type: 'DeleteSnapshot', snapshotId: command.aggregateId }));
  }
}

/**
 * RevertToSnapshot: the volume's state from the view; where the plugin reverts only to the
 * newest snapshot, the backend's own list says which that is (newest last).
 */
@Injectable()
export class RevertToSnapshotHandler {
  constructor(
    private readonly snapshots: SnapshotCommandRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
  ) {}

  async handle(command: Envelope<'RevertToSnapshot', RevertToSnapshotData>): Promise<void> {
    const snapshotId = command.aggregateId;
    const state = await this.snapshots.load(snapshotId);
    const volume = state.status === 'absent' ? null : await this.view.volume(state.volumeId);
    // The snapshot stays in the tree where it was taken; the pool it was recorded on is the one asked.
    const pool: PoolRow | null = state.status === 'absent' ? null : await this.view.pool(state.poolId);
    const backend = this.backends.factsOf(pool);
    let newestSnapshot: string | null | undefined;
    if (state.status === 'ready' && pool && backend?.revert === 'latest') {
      const driver = await this.backends.driverFor(pool);
      const listed = await this.backends.ask(() => capable(driver, 'snapshot').listSnapshots(state.volumeBackendName));
      newestSnapshot = listed.length > 0 ? listed[listed.length - 1].name : null;
    }
    await this.snapshots.run(command, () => ({ type: 'RevertToSnapshot', snapshotId, volume: volumeFacts(volume), backend, newestSnapshot }));
  }
}
