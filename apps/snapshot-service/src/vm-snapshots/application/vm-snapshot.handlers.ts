import { Inject, Injectable } from '@nestjs/common';
import type { CreateVmSnapshotData, DeleteVmSnapshotData, Envelope, RevertToVmSnapshotData, Topics } from '@strata/contracts';
import { capable, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../snapshot.constants';
import { SnapshotBackends } from '../../snapshots/application/snapshot-backends';
import { SNAPSHOTTABLE, volumeFacts } from '../../snapshots/application/snapshot.handlers';
import type { VolumeFacts } from '../../snapshots/domain/snapshot';
import { type PoolRow, type VolumeRow } from '../../storage-view/domain/storage-view';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import {
  vmSnapshotDecider,
  vmSnapshotStreamId,
  type CreateMemberFacts,
  type GroupBackendFacts,
  type VmSnapshotCommand,
  type VmSnapshotState,
} from '../domain/vm-snapshot';
import { VmSnapshotEffects } from './vm-snapshot-effects';
import { VmSnapshotNames } from './vm-snapshot-names';

/** Records a VM snapshot command's intent with the command's inbox mark, then runs its backend side. */
@Injectable()
export class VmSnapshotCommandRunner {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly effects: VmSnapshotEffects,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async load(vmSnapshotId: string): Promise<VmSnapshotState> {
    return (await this.runner.load(vmSnapshotDecider, vmSnapshotStreamId(vmSnapshotId))).state;
  }

  async run(command: Envelope, decide: (state: VmSnapshotState) => VmSnapshotCommand): Promise<void> {
    const meta = commandMeta(command);
    await this.runner.execute(vmSnapshotDecider, vmSnapshotStreamId(command.aggregateId), command.aggregateId, decide, meta, {
      outboxTopic: this.topics.snapshotEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
    await this.effects.complete(command.aggregateId, meta);
  }
}

/** What the decider needs to know of a pool's plugin about groups: null for a pool the view lacks or that was deleted. */
function groupFactsOf(backends: SnapshotBackends, pool: PoolRow | null): GroupBackendFacts | null {
  if (!pool || pool.status === 'deleted') return null;
  const manifest = backends.manifestOf(pool);
  const { capabilities } = manifest;
  return {
    plugin: manifest.name,
    label: `${manifest.vendor} ${manifest.name}`,
    groupSnapshot: capabilities.snapshot && capabilities.groupSnapshot,
    revert: capabilities.snapshot ? capabilities.revert : 'none',
    nativeMigration: capabilities.nativeMigration,
  };
}

/** The pools of the given volumes, each read once. */
async function poolsOf(view: StorageViewStore, volumes: readonly (VolumeRow | null)[]): Promise<Map<string, PoolRow | null>> {
  const pools = new Map<string, PoolRow | null>();
  for (const v of volumes) if (v && !pools.has(v.poolId)) pools.set(v.poolId, await view.pool(v.poolId));
  return pools;
}

/**
 * CreateVmSnapshot: each volume and its pool from the view; the backend is asked (the pools'
 * clusters, then every member's tree) only once the view alone allows the snapshot, so a
 * command that is wrong on its face is refused without touching any backend.
 */
@Injectable()
export class CreateVmSnapshotHandler {
  constructor(
    private readonly vmSnapshots: VmSnapshotCommandRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
    private readonly names: VmSnapshotNames,
  ) {}

  async handle(command: Envelope<'CreateVmSnapshot', CreateVmSnapshotData>): Promise<void> {
    const vmSnapshotId = command.aggregateId;
    const { vmId, volumeIds, name } = command.data;
    const volumes = await Promise.all(volumeIds.map((id) => this.view.volume(id)));
    const pools = await poolsOf(this.view, volumes);
    let members: CreateMemberFacts[] = volumeIds.map((volumeId, index) => {
      const volume = volumes[index];
      const pool = volume ? (pools.get(volume.poolId) ?? null) : null;
      const backend = groupFactsOf(this.backends, pool);
      return {
        volumeId,
        volume: volumeFacts(volume),
        backend,
        cluster: null,
        tree: null,
        snapshotBackendName: pool && backend ? this.names.memberSnapshotName(this.backends.manifestOf(pool), pool.poolId, vmSnapshotId, volumeId) : '',
      };
    });
    const first = members[0].volume ? (pools.get(members[0].volume.poolId) ?? null) : null;
    const groupName = first && members[0].backend ? this.names.groupName(this.backends.manifestOf(first), first.poolId, vmSnapshotId) : '';

    const existing = await this.vmSnapshots.load(vmSnapshotId);
    if (existing.status === 'absent' && plausible(members)) members = await this.askBackends(members, pools);
    await this.vmSnapshots.run(command, () => ({ type: 'CreateVmSnapshot', vmSnapshotId, vmId, name, groupName, members }));
  }

  /** The clusters (where the plugin tells them), then the trees once the pools are known to be one cluster. */
  private async askBackends(members: CreateMemberFacts[], pools: Map<string, PoolRow | null>): Promise<CreateMemberFacts[]> {
    const drivers = new Map<string, PrimaryStorageDriver>();
    for (const [poolId, pool] of pools) drivers.set(poolId, await this.backends.driverFor(pool as PoolRow));
    const driverOf = (m: CreateMemberFacts) => drivers.get((m.volume as VolumeFacts).poolId) as PrimaryStorageDriver;
    const backend = members[0].backend as GroupBackendFacts;
    if (backend.nativeMigration) {
      // migrationTarget() asks no backend: it says where the driver's configuration points.
      members = members.map((m) => ({ ...m, cluster: capable(driverOf(m), 'nativeMigration').migrationTarget().cluster }));
    }
    const onePlace = pools.size === 1 || (backend.nativeMigration && new Set(members.map((m) => m.cluster)).size === 1);
    if (!onePlace) return members;
    const withTrees: CreateMemberFacts[] = [];
    for (const m of members) {
      const found = await this.backends.ask(() => driverOf(m).getVolumeTree((m.volume as VolumeFacts).backendName));
      withTrees.push({ ...m, tree: { snapshotCount: found.snapshotCount, snapshotLimit: found.snapshotLimit } });
    }
    return withTrees;
  }
}

/** True when the view alone lets the VM snapshot be taken: the backend questions are worth asking. */
function plausible(members: readonly CreateMemberFacts[]): boolean {
  const plugins = new Set(members.map((m) => m.backend?.plugin));
  return (
    members.every((m) => m.volume && m.backend && SNAPSHOTTABLE.has(m.volume.status)) &&
    plugins.size === 1 &&
    members[0].backend?.groupSnapshot === true
  );
}

/** DeleteVmSnapshot: record the intent, then delete the group on the backend (members already gone are success). */
@Injectable()
export class DeleteVmSnapshotHandler {
  constructor(private readonly vmSnapshots: VmSnapshotCommandRunner) {}

  async handle(command: Envelope<'DeleteVmSnapshot', DeleteVmSnapshotData>): Promise<void> {
    await this.vmSnapshots.run(command, () => ({ type: 'DeleteVmSnapshot', vmSnapshotId: command.aggregateId }));
  }
}

/**
 * RevertToVmSnapshot: every member volume's state from the view; where the plugin reverts only
 * to the newest snapshot, each member volume's own list says which that is (newest last),
 * asked only once the view allows the revert.
 */
@Injectable()
export class RevertToVmSnapshotHandler {
  constructor(
    private readonly vmSnapshots: VmSnapshotCommandRunner,
    private readonly view: StorageViewStore,
    private readonly backends: SnapshotBackends,
  ) {}

  async handle(command: Envelope<'RevertToVmSnapshot', RevertToVmSnapshotData>): Promise<void> {
    const vmSnapshotId = command.aggregateId;
    const state = await this.vmSnapshots.load(vmSnapshotId);
    const members = state.status === 'absent' ? [] : state.members;
    const rows = await Promise.all(members.map((m) => this.view.volume(m.volumeId)));
    const volumes = members.map((m, index) => ({ volumeId: m.volumeId, volume: volumeFacts(rows[index]) }));
    // The group stays where it was taken; the first member's pool is the one asked, as for the creation.
    const pool = members.length > 0 ? await this.view.pool(members[0].poolId) : null;
    const backend = groupFactsOf(this.backends, pool);
    let newestSnapshots: Record<string, string | null> | undefined;
    const revertable = volumes.every((v) => v.volume && v.volume.status === 'ready' && v.volume.hostCount === 0);
    if (state.status === 'ready' && pool && backend?.revert === 'latest' && revertable) {
      const driver = capable(await this.backends.driverFor(pool), 'snapshot');
      newestSnapshots = {};
      for (const m of members) {
        const listed = await this.backends.ask(() => driver.listSnapshots(m.volumeBackendName));
        newestSnapshots[m.volumeId] = listed.length > 0 ? listed[listed.length - 1].name : null;
      }
    }
    await this.vmSnapshots.run(command, () => ({ type: 'RevertToVmSnapshot', vmSnapshotId, volumes, backend, newestSnapshots }));
  }
}
