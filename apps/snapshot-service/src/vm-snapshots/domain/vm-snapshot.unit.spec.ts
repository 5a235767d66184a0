import { deciderSpec } from '@strata/kernel';
import type { VolumeFacts } from '../../snapshots/domain/snapshot';
import { vmSnapshotDecider, type CreateMemberFacts, type GroupBackendFacts, type VmSnapshotCommand, type VmSnapshotEvent } from './vm-snapshot';

const vmSnapshotId = '3d2e1f00-7a6b-4c5d-8e9f-0a1b2c3d4e5f';
const vmId = 'i-42-vm';
const volA = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const volB = '7a2e9b65-4d2f-4d66-8e46-1f8c8c8a5b22';
const poolP = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const poolQ = '1c6f8c2f-0b5c-4d4f-9a2b-3e7d0f9c8b77';
const spec = deciderSpec(vmSnapshotDecider);

const file: GroupBackendFacts = { plugin: 'file', label: 'Strata file', groupSnapshot: true, revert: 'any', nativeMigration: false };
const powerflex: GroupBackendFacts = { plugin: 'powerflex', label: 'Dell powerflex', groupSnapshot: true, revert: 'any', nativeMigration: true };
const linstor: GroupBackendFacts = { plugin: 'linstor', label: 'LINBIT linstor', groupSnapshot: true, revert: 'latest', nativeMigration: false };

const volume = (volumeId: string, poolId = poolP, over: Partial<VolumeFacts> = {}): VolumeFacts => ({
  volumeId,
  poolId,
  backendName: `vol-${volumeId}`,
  status: 'ready',
  hostCount: 0,
  ...over,
});
const member = (volumeId: string, over: Partial<CreateMemberFacts> = {}): CreateMemberFacts => ({
  volumeId,
  volume: volume(volumeId),
  backend: file,
  cluster: null,
  tree: { snapshotCount: 0, snapshotLimit: null },
  snapshotBackendName: `snap-of-${volumeId.slice(0, 8)}`,
  ...over,
});

type Create = Extract<VmSnapshotCommand, { type: 'CreateVmSnapshot' }>;
const create = (members: CreateMemberFacts[] = [member(volA), member(volB)]): Create => ({
  type: 'CreateVmSnapshot',
  vmSnapshotId,
  vmId,
  name: 'before-upgrade',
  groupName: `vmsnap-${vmSnapshotId}`,
  members,
});

const requested: VmSnapshotEvent = {
  type: 'VmSnapshotRequested',
  data: {
    vmSnapshotId,
    vmId,
    name: 'before-upgrade',
    groupName: `vmsnap-${vmSnapshotId}`,
    members: [volA, volB].map((volumeId) => ({
      volumeId,
      poolId: poolP,
      volumeBackendName: `vol-${volumeId}`,
      snapshotBackendName: `snap-of-${volumeId.slice(0, 8)}`,
    })),
  },
};
const createdMembers = [volA, volB].map((volumeId) => ({ volumeId, snapshotBackendName: `snap-of-${volumeId.slice(0, 8)}`, sizeBytes: 1048576 }));
const created: VmSnapshotEvent = { type: 'VmSnapshotCreated', data: { vmSnapshotId, vmId, members: createdMembers } };
const error = { code: 'file.no_space', category: 'backend.capacity', message: 'no space left on the pool' };
const creationFailed: VmSnapshotEvent = { type: 'VmSnapshotCreationFailed', data: { vmSnapshotId, vmId, error } };
const deletionRequested: VmSnapshotEvent = { type: 'VmSnapshotDeletionRequested', data: { vmSnapshotId, vmId } };
const deleted: VmSnapshotEvent = { type: 'VmSnapshotDeleted', data: { vmSnapshotId, vmId } };
const revertRequested: VmSnapshotEvent = { type: 'VmSnapshotRevertRequested', data: { vmSnapshotId, vmId } };

type Revert = Extract<VmSnapshotCommand, { type: 'RevertToVmSnapshot' }>;
const revert = (over: Partial<Revert> = {}): Revert => ({
  type: 'RevertToVmSnapshot',
  vmSnapshotId,
  volumes: [
    { volumeId: volA, volume: volume(volA) },
    { volumeId: volB, volume: volume(volB) },
  ],
  backend: file,
  ...over,
});

describe('VM snapshot decider', () => {
  describe('CreateVmSnapshot', () => {
    it('records the intent with every member, its pool and both backend names, before any backend is touched', () => {
      spec.given([]).when(create()).then([requested]);
    });
    it('takes attached volumes too (crash-consistent: the running VM as the backend sees it at one instant)', () => {
      spec
        .given([])
        .when(create([member(volA, { volume: volume(volA, poolP, { status: 'attached', hostCount: 1 }) }), member(volB)]))
        .then([requested]);
    });
    it('refuses a second create of the same id', () => {
      spec.given([requested]).when(create()).thenThrows('vmsnapshot.already_exists', new RegExp(vmSnapshotId));
    });
    it('refuses volumes the view does not know (or that are deleted), naming each', () => {
      spec
        .given([])
        .when(create([member(volA, { volume: null, tree: null }), member(volB, { volume: volume(volB, poolP, { status: 'deleted' }), tree: null })]))
        .thenThrows('vmsnapshot.volume_not_found', new RegExp(`${volA}, ${volB}`));
    });
    it('refuses a volume whose pool is unknown, naming volume and pool', () => {
      spec
        .given([])
        .when(create([member(volA), member(volB, { backend: null, tree: null })]))
        .thenThrows('vmsnapshot.pool_not_found', new RegExp(`${volB} \\(pool ${poolP}\\)`));
    });
    it('refuses volumes on pools of different backends, naming each volume with its backend', () => {
      spec
        .given([])
        .when(
          create([
            member(volA, { tree: null }),
            member(volB, { volume: volume(volB, poolQ), backend: linstor, tree: null }),
          ]),
        )
        .thenThrows('vmsnapshot.mixed_backends', new RegExp(`${volA} \\(Strata file, pool ${poolP}\\), ${volB} \\(LINBIT linstor, pool ${poolQ}\\)`));
    });
    it('refuses a backend whose manifest declares no group snapshots', () => {
      const single: GroupBackendFacts = { ...file, plugin: 'single', groupSnapshot: false };
      spec
        .given([])
        .when(create([member(volA, { backend: single, tree: null }), member(volB, { backend: single, tree: null })]))
        .thenThrows('vmsnapshot.unsupported', /single backend does not take group snapshots/);
    });
    it.each(['creating', 'resizing', 'migrating', 'error', 'deleting', 'allocated'])('refuses a member that is %s, naming it and its status', (status) => {
      spec
        .given([])
        .when(create([member(volA), member(volB, { volume: volume(volB, poolP, { status }), tree: null })]))
        .thenThrows('vmsnapshot.volume_not_ready', new RegExp(`${volB} \\(${status}\\)`));
    });
    it('refuses two pools of a backend that cannot tell clusters apart (file, LINSTOR): only one pool is sure to be one cluster', () => {
      spec
        .given([])
        .when(create([member(volA, { tree: null }), member(volB, { volume: volume(volB, poolQ), tree: null })]))
        .thenThrows('vmsnapshot.multiple_clusters', new RegExp(`needs every volume on one pool; these are not: ${volA} \\(pool ${poolP}\\), ${volB} \\(pool ${poolQ}\\)`));
    });
    it('refuses two pools of a backend whose drivers report different clusters, naming them', () => {
      spec
        .given([])
        .when(
          create([
            member(volA, { backend: powerflex, cluster: 'gw-one', tree: null }),
            member(volB, { volume: volume(volB, poolQ), backend: powerflex, cluster: 'gw-two', tree: null }),
          ]),
        )
        .thenThrows('vmsnapshot.multiple_clusters', new RegExp(`${volB} \\(pool ${poolQ} on cluster gw-two\\)`));
    });
    it('takes two pools of one cluster (PowerFlex storage pools behind one gateway)', () => {
      const [a, b] = [member(volA, { backend: powerflex, cluster: 'gw-one' }), member(volB, { volume: volume(volB, poolQ), backend: powerflex, cluster: 'gw-one' })];
      const events = vmSnapshotDecider.decide(create([a, b]), { status: 'absent' });
      const [event] = events;
      if (event?.type !== 'VmSnapshotRequested') throw new Error(`expected VmSnapshotRequested, got ${event?.type}`);
      expect(event.data.members.map((m) => m.poolId)).toEqual([poolP, poolQ]);
    });
    it('refuses when any member tree is at its limit, naming every full one with the numbers', () => {
      spec
        .given([])
        .when(
          create([
            member(volA, { backend: powerflex, cluster: 'gw', tree: { snapshotCount: 127, snapshotLimit: 127 } }),
            member(volB, { backend: powerflex, cluster: 'gw', tree: { snapshotCount: 126, snapshotLimit: 127 } }),
          ]),
        )
        .thenThrows('vmsnapshot.limit_reached', new RegExp(`Dell powerflex limits .* full: ${volA} \\(127 of 127 snapshots\\); delete`));
    });
    it('takes the group when every tree has room for one more', () => {
      const events = vmSnapshotDecider.decide(
        create([member(volA, { tree: { snapshotCount: 126, snapshotLimit: 127 } }), member(volB, { tree: { snapshotCount: 0, snapshotLimit: 127 } })]),
        { status: 'absent' },
      );
      expect(events).toEqual([requested]);
    });
    it('throws a plain error (a handler bug, not a refusal) when the trees were not read', () => {
      expect(() => vmSnapshotDecider.decide(create([member(volA, { tree: null })]), { status: 'absent' })).toThrow(/trees were not read/);
    });
  });

  describe('outcomes of a creation', () => {
    it('records every member with the size the backend reports', () => {
      spec.given([requested]).when({ type: 'RecordVmSnapshotCreated', members: createdMembers }).then([created]);
    });
    it('records a failure with the backend error', () => {
      spec.given([requested]).when({ type: 'RecordVmSnapshotCreationFailed', error }).then([creationFailed]);
    });
    it('refuses an outcome when no creation is under way (a second worker came first)', () => {
      spec.given([requested, created]).when({ type: 'RecordVmSnapshotCreated', members: createdMembers }).thenThrows('vmsnapshot.illegal_state', /is ready/);
      spec.given([requested, created]).when({ type: 'RecordVmSnapshotCreationFailed', error }).thenThrows('vmsnapshot.illegal_state');
    });
  });

  describe('DeleteVmSnapshot', () => {
    const del: VmSnapshotCommand = { type: 'DeleteVmSnapshot', vmSnapshotId };
    it('records the intent for a ready one, and for one whose creation failed (whatever the backend half made goes)', () => {
      spec.given([requested, created]).when(del).then([deletionRequested]);
      spec.given([requested, creationFailed]).when(del).then([deletionRequested]);
    });
    it('answers a second delete while one runs', () => {
      spec.given([requested, created, deletionRequested]).when(del).thenThrows('vmsnapshot.deletion_in_progress');
    });
    it('refuses an unknown one, one being made, reverted or already deleted', () => {
      spec.given([]).when(del).thenThrows('vmsnapshot.not_found', new RegExp(vmSnapshotId));
      spec.given([requested]).when(del).thenThrows('vmsnapshot.illegal_state', /is creating: cannot delete it/);
      spec.given([requested, created, revertRequested]).when(del).thenThrows('vmsnapshot.illegal_state', /is reverting/);
      spec.given([requested, created, deletionRequested, deleted]).when(del).thenThrows('vmsnapshot.illegal_state', /is deleted/);
    });
    it('records the outcomes, a failure leaving it in error to be deleted again', () => {
      spec.given([requested, created, deletionRequested]).when({ type: 'RecordVmSnapshotDeleted' }).then([deleted]);
      const failed: VmSnapshotEvent = { type: 'VmSnapshotDeletionFailed', data: { vmSnapshotId, vmId, error } };
      spec.given([requested, created, deletionRequested]).when({ type: 'RecordVmSnapshotDeletionFailed', error }).then([failed]);
      spec.given([requested, created, deletionRequested, failed]).when(del).then([deletionRequested]);
      spec.given([requested, created]).when({ type: 'RecordVmSnapshotDeleted' }).thenThrows('vmsnapshot.illegal_state');
    });
  });

  describe('RevertToVmSnapshot', () => {
    it('records the intent when every member is detached and ready', () => {
      spec.given([requested, created]).when(revert()).then([revertRequested]);
    });
    it('refuses an unknown VM snapshot, and one that is not ready', () => {
      spec.given([]).when(revert()).thenThrows('vmsnapshot.not_found');
      spec.given([requested]).when(revert()).thenThrows('vmsnapshot.illegal_state', /is creating/);
      spec.given([requested, creationFailed]).when(revert()).thenThrows('vmsnapshot.illegal_state', /is error/);
    });
    it('refuses while any member is attached (the VM runs), naming every attached one', () => {
      spec
        .given([requested, created])
        .when(
          revert({
            volumes: [
              { volumeId: volA, volume: volume(volA, poolP, { status: 'attached', hostCount: 1 }) },
              { volumeId: volB, volume: volume(volB, poolP, { hostCount: 1 }) },
            ],
          }),
        )
        .thenThrows('vmsnapshot.volume_attached', new RegExp(`${volA} \\(1 host\\(s\\)\\), ${volB} \\(1 host\\(s\\)\\) are attached: .*stop the VM`));
    });
    it('refuses when a member volume is gone or busy', () => {
      spec.given([requested, created]).when(revert({ volumes: [{ volumeId: volA, volume: volume(volA) }] })).thenThrows('vmsnapshot.volume_not_found', new RegExp(volB));
      spec
        .given([requested, created])
        .when(revert({ volumes: [{ volumeId: volA, volume: volume(volA) }, { volumeId: volB, volume: volume(volB, poolP, { status: 'resizing' }) }] }))
        .thenThrows('vmsnapshot.volume_not_ready', new RegExp(`${volB} \\(resizing\\)`));
    });
    it('refuses when the pool is unknown, or its backend cannot revert', () => {
      spec.given([requested, created]).when(revert({ backend: null })).thenThrows('vmsnapshot.pool_not_found');
      spec.given([requested, created]).when(revert({ backend: { ...file, plugin: 'norevert', revert: 'none' } })).thenThrows('vmsnapshot.revert_unsupported', /norevert backend cannot revert/);
    });
    it("where revert is 'latest', takes it when every member's snapshot is its volume's newest", () => {
      const newestSnapshots = { [volA]: `snap-of-${volA.slice(0, 8)}`, [volB]: `snap-of-${volB.slice(0, 8)}` };
      spec.given([requested, created]).when(revert({ backend: linstor, newestSnapshots })).then([revertRequested]);
    });
    it("where revert is 'latest', refuses naming each volume with a newer snapshot (or none listed)", () => {
      const newestSnapshots = { [volA]: 'snap-newer', [volB]: null };
      spec
        .given([requested, created])
        .when(revert({ backend: linstor, newestSnapshots }))
        .thenThrows('vmsnapshot.revert_not_latest', new RegExp(`${volA} \\(newest is snap-newer\\), ${volB} \\(no snapshot listed\\)`));
    });
    it('records the outcomes; a failed revert leaves it ready with the error, to be reverted again', () => {
      spec.given([requested, created, revertRequested]).when({ type: 'RecordVmSnapshotReverted' }).then([{ type: 'VmSnapshotReverted', data: { vmSnapshotId, vmId } }]);
      const failed: VmSnapshotEvent = { type: 'VmSnapshotRevertFailed', data: { vmSnapshotId, vmId, error } };
      spec.given([requested, created, revertRequested]).when({ type: 'RecordVmSnapshotRevertFailed', error }).then([failed]);
      spec.given([requested, created, revertRequested, failed]).when(revert()).then([revertRequested]);
      spec.given([requested, created]).when({ type: 'RecordVmSnapshotReverted' }).thenThrows('vmsnapshot.illegal_state');
    });
  });
});
