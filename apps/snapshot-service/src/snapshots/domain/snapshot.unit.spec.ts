import { deciderSpec } from '@strata/kernel';
import { snapshotDecider, type BackendFacts, type SnapshotCommand, type SnapshotEvent, type VolumeFacts } from './snapshot';

const snapshotId = '2c9f1a64-5b7e-4d2a-9c3f-8e1d0a7b6c55';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const spec = deciderSpec(snapshotDecider);

const volume: VolumeFacts = { volumeId, poolId, backendName: `vol-${volumeId}`, status: 'ready', hostCount: 0 };
const fileBackend: BackendFacts = { plugin: 'file', label: 'Strata file', snapshot: true, revert: 'any' };
const powerflex: BackendFacts = { plugin: 'powerflex', label: 'Dell powerflex', snapshot: true, revert: 'any' };
const linstor: BackendFacts = { plugin: 'linstor', label: 'LINBIT linstor', snapshot: true, revert: 'latest' };
const backendName = `snap-${snapshotId}`;

const create: Extract<SnapshotCommand, { type: 'CreateSnapshot' }> = {
  type: 'CreateSnapshot',
  snapshotId,
  volumeId,
  name: 'before-upgrade',
  volume,
  backend: fileBackend,
  tree: { snapshotCount: 3, snapshotLimit: null },
  backendName,
};
const revert: Extract<SnapshotCommand, { type: 'RevertToSnapshot' }> = { type: 'RevertToSnapshot', snapshotId, volume, backend: fileBackend };
const error = { code: 'file.no_space', category: 'backend.capacity', message: 'no space left on the pool' };

const requested: SnapshotEvent = {
  type: 'SnapshotRequested',
  data: { snapshotId, volumeId, name: 'before-upgrade', poolId, volumeBackendName: `vol-${volumeId}`, backendName, policyId: null, dueAt: null },
};
const created: SnapshotEvent = { type: 'SnapshotCreated', data: { snapshotId, volumeId, sizeBytes: 1048576 } };
const creationFailed: SnapshotEvent = { type: 'SnapshotCreationFailed', data: { snapshotId, volumeId, error } };
const deletionRequested: SnapshotEvent = { type: 'SnapshotDeletionRequested', data: { snapshotId, volumeId } };
const deleted: SnapshotEvent = { type: 'SnapshotDeleted', data: { snapshotId, volumeId } };
const revertRequested: SnapshotEvent = { type: 'SnapshotRevertRequested', data: { snapshotId, volumeId } };

describe('snapshot decider', () => {
  describe('CreateSnapshot', () => {
    it('records the intent with the volume, its pool and both backend names before the backend is touched', () => {
      spec.given([]).when(create).then([requested]);
    });
    it('snapshots an attached volume too (crash-consistent, as the hypervisor sees it)', () => {
      spec.given([]).when({ ...create, volume: { ...volume, status: 'attached', hostCount: 1 } }).then([requested]);
    });
    it('carries the policy and due time when a policy takes it', () => {
      const due = '2026-11-21T02:00:00.000Z';
      const policyId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
      spec
        .given([])
        .when({ ...create, policyId, dueAt: due })
        .then([{ type: 'SnapshotRequested', data: { ...requested.data, policyId, dueAt: due } } as SnapshotEvent]);
    });
    it('refuses a second create of the same snapshot id', () => {
      spec.given([requested]).when(create).thenThrows('snapshot.already_exists', new RegExp(snapshotId));
    });
    it('refuses a volume the view does not know', () => {
      spec.given([]).when({ ...create, volume: null, tree: null }).thenThrows('snapshot.volume_not_found', new RegExp(volumeId));
    });
    it('refuses a deleted volume as not found', () => {
      spec.given([]).when({ ...create, volume: { ...volume, status: 'deleted' }, tree: null }).thenThrows('snapshot.volume_not_found');
    });
    it('refuses a volume whose pool is unknown', () => {
      spec.given([]).when({ ...create, backend: null, tree: null }).thenThrows('snapshot.pool_not_found', new RegExp(poolId));
    });
    it.each(['creating', 'resizing', 'migrating', 'error', 'deleting', 'allocated'])('refuses a volume that is %s, naming the status', (status) => {
      spec
        .given([])
        .when({ ...create, volume: { ...volume, status }, tree: null })
        .thenThrows('snapshot.volume_not_ready', new RegExp(`is ${status}`));
    });
    it('refuses a pool whose plugin declares no snapshots', () => {
      spec
        .given([])
        .when({ ...create, backend: { plugin: 'tape', label: 'Acme tape', snapshot: false, revert: 'none' }, tree: null })
        .thenThrows('snapshot.unsupported', /tape backend does not take snapshots/);
    });
    it('refuses the 128th snapshot of a PowerFlex volume tree, with the numbers', () => {
      spec
        .given([])
        .when({ ...create, backend: powerflex, tree: { snapshotCount: 127, snapshotLimit: 127 } })
        .thenThrows('snapshot.limit_reached', new RegExp(`Dell powerflex allows 127 snapshots per volume tree; volume ${volumeId} has 127`));
    });
    it('takes the 127th, the last one the limit allows', () => {
      spec.given([]).when({ ...create, backend: powerflex, tree: { snapshotCount: 126, snapshotLimit: 127 } }).then([requested]);
    });
  });

  describe('outcomes of a creation', () => {
    it('records the size the backend reports', () => {
      spec.given([requested]).when({ type: 'RecordSnapshotCreated', sizeBytes: 1048576 }).then([created]);
    });
    it('records a failure with the backend error', () => {
      spec.given([requested]).when({ type: 'RecordSnapshotCreationFailed', error }).then([creationFailed]);
    });
    it('refuses an outcome when no creation is under way (a second worker came first)', () => {
      spec.given([requested, created]).when({ type: 'RecordSnapshotCreated', sizeBytes: 1 }).thenThrows('snapshot.illegal_state', /is ready/);
      spec.given([requested, created]).when({ type: 'RecordSnapshotCreationFailed', error }).thenThrows('snapshot.illegal_state');
    });
  });

  describe('DeleteSnapshot', () => {
    it('records the intent for a ready snapshot', () => {
      spec.given([requested, created]).when({ type: 'DeleteSnapshot', snapshotId }).then([deletionRequested]);
    });
    it('deletes a snapshot whose creation failed (whatever the backend half made goes too)', () => {
      spec.given([requested, creationFailed]).when({ type: 'DeleteSnapshot', snapshotId }).then([deletionRequested]);
    });
    it('answers a second delete while one runs', () => {
      spec.given([requested, created, deletionRequested]).when({ type: 'DeleteSnapshot', snapshotId }).thenThrows('snapshot.deletion_in_progress');
    });
    it('refuses an unknown snapshot', () => {
      spec.given([]).when({ type: 'DeleteSnapshot', snapshotId }).thenThrows('snapshot.not_found', new RegExp(snapshotId));
    });
    it('refuses a snapshot still being made, or already deleted', () => {
      spec.given([requested]).when({ type: 'DeleteSnapshot', snapshotId }).thenThrows('snapshot.illegal_state', /is creating: cannot delete it/);
      spec.given([requested, created, deletionRequested, deleted]).when({ type: 'DeleteSnapshot', snapshotId }).thenThrows('snapshot.illegal_state', /is deleted/);
    });
    it('refuses a delete during a revert', () => {
      spec.given([requested, created, revertRequested]).when({ type: 'DeleteSnapshot', snapshotId }).thenThrows('snapshot.illegal_state', /is reverting/);
    });
    it('records the outcomes, a failure leaving it in error to be deleted again', () => {
      spec.given([requested, created, deletionRequested]).when({ type: 'RecordSnapshotDeleted' }).then([deleted]);
      const failed: SnapshotEvent = { type: 'SnapshotDeletionFailed', data: { snapshotId, volumeId, error } };
      spec.given([requested, created, deletionRequested]).when({ type: 'RecordSnapshotDeletionFailed', error }).then([failed]);
      spec.given([requested, created, deletionRequested, failed]).when({ type: 'DeleteSnapshot', snapshotId }).then([deletionRequested]);
    });
    it('refuses a deletion outcome without a deletion under way', () => {
      spec.given([requested, created]).when({ type: 'RecordSnapshotDeleted' }).thenThrows('snapshot.illegal_state');
      spec.given([requested, created]).when({ type: 'RecordSnapshotDeletionFailed', error }).thenThrows('snapshot.illegal_state');
    });
  });

  describe('RevertToSnapshot', () => {
    it('records the intent for a ready snapshot of a detached, ready volume', () => {
      spec.given([requested, created]).when(revert).then([revertRequested]);
    });
    it('refuses an unknown snapshot', () => {
      spec.given([]).when(revert).thenThrows('snapshot.not_found');
    });
    it('refuses a snapshot that is not ready', () => {
      spec.given([requested]).when(revert).thenThrows('snapshot.illegal_state', /is creating/);
      spec.given([requested, creationFailed]).when(revert).thenThrows('snapshot.illegal_state', /is error/);
      spec.given([requested, created, revertRequested]).when(revert).thenThrows('snapshot.illegal_state', /is reverting/);
    });
    it('refuses an attached volume, naming how many hosts hold it', () => {
      spec
        .given([requested, created])
        .when({ ...revert, volume: { ...volume, status: 'attached', hostCount: 2 } })
        .thenThrows('snapshot.volume_attached', /attached to 2 host\(s\)/);
    });
    it('refuses a volume with an attach in flight (status still ready, a host about to see it)', () => {
      spec.given([requested, created]).when({ ...revert, volume: { ...volume, hostCount: 1 } }).thenThrows('snapshot.volume_attached');
    });
    it('refuses a volume that is gone', () => {
      spec.given([requested, created]).when({ ...revert, volume: null }).thenThrows('snapshot.volume_not_found');
      spec.given([requested, created]).when({ ...revert, volume: { ...volume, status: 'deleted' } }).thenThrows('snapshot.volume_not_found');
    });
    it('refuses a volume that is busy, naming the status', () => {
      spec.given([requested, created]).when({ ...revert, volume: { ...volume, status: 'resizing' } }).thenThrows('snapshot.volume_not_ready', /is resizing/);
    });
    it('refuses when the pool is unknown', () => {
      spec.given([requested, created]).when({ ...revert, backend: null }).thenThrows('snapshot.pool_not_found');
    });
    it("refuses a backend whose manifest says revert 'none'", () => {
      spec
        .given([requested, created])
        .when({ ...revert, backend: { ...fileBackend, plugin: 'nosnap', revert: 'none' } })
        .thenThrows('snapshot.revert_unsupported', /nosnap backend cannot revert/);
    });
    it("where revert is 'latest', takes the newest snapshot of the volume", () => {
      spec.given([requested, created]).when({ ...revert, backend: linstor, newestSnapshot: backendName }).then([revertRequested]);
    });
    it("where revert is 'latest', refuses an older snapshot, naming the newest", () => {
      spec
        .given([requested, created])
        .when({ ...revert, backend: linstor, newestSnapshot: 'snap-newer' })
        .thenThrows('snapshot.revert_not_latest', /newest snapshot of a volume, which is snap-newer/);
    });
    it("where revert is 'any', an older snapshot is fine", () => {
      spec.given([requested, created]).when({ ...revert, backend: powerflex, newestSnapshot: 'snap-newer' }).then([revertRequested]);
    });
    it('records the outcomes; a failed revert leaves the snapshot ready with the error', () => {
      spec.given([requested, created, revertRequested]).when({ type: 'RecordSnapshotReverted' }).then([{ type: 'SnapshotReverted', data: { snapshotId, volumeId } }]);
      const failed: SnapshotEvent = { type: 'SnapshotRevertFailed', data: { snapshotId, volumeId, error } };
      spec.given([requested, created, revertRequested]).when({ type: 'RecordSnapshotRevertFailed', error }).then([failed]);
      spec.given([requested, created, revertRequested, failed]).when(revert).then([revertRequested]);
    });
    it('refuses a revert outcome without a revert under way', () => {
      spec.given([requested, created]).when({ type: 'RecordSnapshotReverted' }).thenThrows('snapshot.illegal_state');
      spec.given([requested, created]).when({ type: 'RecordSnapshotRevertFailed', error }).thenThrows('snapshot.illegal_state');
    });
  });
});

describe('snapshot decider: its volume deleted with its snapshots', () => {
  it('records the snapshot deleted from any live state, once', () => {
    spec.given([requested, created]).when({ type: 'RecordDeletedWithVolume' }).then([deleted]);
    spec.given([requested, creationFailed]).when({ type: 'RecordDeletedWithVolume' }).then([deleted]);
    spec.given([requested, created, deletionRequested]).when({ type: 'RecordDeletedWithVolume' }).then([deleted]);
    spec.given([requested, created, deleted]).when({ type: 'RecordDeletedWithVolume' }).thenThrows('snapshot.illegal_state');
  });
});
