import { deciderSpec, fold } from '@strata/kernel';
import { volumeDecider, volumeHoldings, type MigrationPlan, type VolumeEvent } from './volume';

const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const toPoolId = '9c2f4d1e-5b6a-4e7d-8c9b-0a1b2c3d4e5f';
const hostId = '3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a';
const spec = deciderSpec(volumeDecider);

const requested: VolumeEvent = {
  type: 'VolumeCreationRequested',
  data: { volumeId, name: 'data-1', poolId, sizeBytes: 1048576, volumeType: 'DATA', backendName: `vol-${volumeId}`, provisioning: 'thin', qos: null, allocation: null },
};
const created: VolumeEvent = { type: 'VolumeCreated', data: { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: 1048576, path: '/a/x.raw' } };
const attached: VolumeEvent[] = [
  { type: 'VolumeAttachRequested', data: { volumeId, hostId, backendHost: 'sdc-1' } },
  { type: 'VolumeAttached', data: { volumeId, hostId, devicePath: '/dev/x' } },
];
const copyPlan: MigrationPlan = {
  toPoolId,
  mode: 'copy',
  destinationBackendName: 'vol-11111111-2222-4333-8444-555555555555',
  sizeBytes: 2097152,
  nativeTarget: null,
  dataMover: { hostId, sourceBackendHost: hostId, destinationBackendHost: hostId },
  allocation: null,
};
const nativePlan: MigrationPlan = { ...copyPlan, mode: 'native', destinationBackendName: `vol-${volumeId}`, sizeBytes: 1048576, nativeTarget: 'pool-b', dataMover: null };
const migrate = (plan: MigrationPlan, status: 'enabled' | 'disabled' | 'maintenance' = 'enabled') => ({
  type: 'MigrateVolume' as const,
  volumeId,
  plan,
  destination: { poolId: plan.toPoolId, status },
});
const copyRequested: VolumeEvent = { type: 'VolumeMigrationRequested', data: { volumeId, poolId, sourceBackendName: `vol-${volumeId}`, ...copyPlan } };
const copied: VolumeEvent = {
  type: 'VolumeMigrated',
  data: { volumeId, fromPoolId: poolId, toPoolId, mode: 'copy', sourceBackendName: `vol-${volumeId}`, backendName: copyPlan.destinationBackendName, sizeBytes: 2097152, path: '/b/y.raw' },
};
const error = { code: 'file.no_space', category: 'backend.capacity', message: 'no space left' };

describe('volume decider: migration', () => {
  it('records the intent with the plan and the source it leaves', () => {
    spec.given([requested, created]).when(migrate(copyPlan)).then([copyRequested]);
  });
  it('refuses the pool the volume is on, naming the field', () => {
    spec.given([requested, created]).when(migrate({ ...copyPlan, toPoolId: poolId })).thenThrows('volume.same_pool', /already lives/);
  });
  it('refuses a destination that is disabled, in maintenance or gone', () => {
    spec.given([requested, created]).when(migrate(copyPlan, 'disabled')).thenThrows('pool.disabled');
    spec.given([requested, created]).when(migrate(copyPlan, 'maintenance')).thenThrows('pool.in_maintenance');
    spec.given([requested, created]).when({ ...migrate(copyPlan), destination: null }).thenThrows('pool.not_found');
  });
  it('refuses a block copy of an attached volume, but moves it natively', () => {
    spec.given([requested, created, ...attached]).when(migrate(copyPlan)).thenThrows('volume.copy_needs_detach', /detach it first/);
    spec
      .given([requested, created, ...attached])
      .when(migrate(nativePlan))
      .then([{ type: 'VolumeMigrationRequested', data: { volumeId, poolId, sourceBackendName: `vol-${volumeId}`, ...nativePlan } }]);
  });
  it('refuses a volume that is busy or not ready', () => {
    spec.given([requested]).when(migrate(copyPlan)).thenThrows('volume.illegal_state', /creating/);
    spec.given([requested, created, copyRequested]).when(migrate(copyPlan)).thenThrows('volume.illegal_state', /migrating/);
  });
  it('takes no other command while migrating', () => {
    spec.given([requested, created, copyRequested]).when({ type: 'DeleteVolume', volumeId }).thenThrows('volume.illegal_state', /migrating/);
    spec.given([requested, created, copyRequested]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'h' }).thenThrows('volume.illegal_state');
  });
  it('records progress only forward, in whole percent', () => {
    spec
      .given([requested, created, copyRequested])
      .when({ type: 'RecordVolumeMigrationProgress', copiedBytes: 524288, totalBytes: 1048576 })
      .then([{ type: 'VolumeMigrationProgressed', data: { volumeId, toPoolId, copiedBytes: 524288, totalBytes: 1048576, percent: 50 } }]);
    const half: VolumeEvent = { type: 'VolumeMigrationProgressed', data: { volumeId, toPoolId, copiedBytes: 524288, totalBytes: 1048576, percent: 50 } };
    // A copy restarted after a crash reports from zero again: nothing recorded until it passes 50 %.
    spec.given([requested, created, copyRequested, half]).when({ type: 'RecordVolumeMigrationProgress', copiedBytes: 104857, totalBytes: 1048576 }).then([]);
  });
  it('records the switch to the destination, then the old copy still to delete', () => {
    spec.given([requested, created, copyRequested]).when({ type: 'RecordVolumeMigrated', sizeBytes: 2097152, path: '/b/y.raw' }).then([copied]);
    const state = fold(volumeDecider, [requested, created, copyRequested, copied]);
    expect(state).toMatchObject({ status: 'ready', poolId: toPoolId, backendName: copyPlan.destinationBackendName, sizeBytes: 2097152, path: '/b/y.raw' });
    expect(state.status !== 'absent' && state.inFlight).toEqual({ kind: 'source-cleanup', poolId, backendName: `vol-${volumeId}` });
    // Busy until the old copy is gone, so recovery always finds VolumeMigrated as the newest event.
    spec.given([requested, created, copyRequested, copied]).when({ type: 'DeleteVolume', volumeId }).thenThrows('volume.operation_in_progress', /source-cleanup/);
    spec
      .given([requested, created, copyRequested, copied])
      .when({ type: 'RecordMigrationSourceDeleted' })
      .then([{ type: 'VolumeMigrationSourceDeleted', data: { volumeId, poolId, backendName: `vol-${volumeId}` } }]);
  });
  it('is free again once the old copy is deleted, or given up to drift', () => {
    const cleaned: VolumeEvent = { type: 'VolumeMigrationSourceDeleted', data: { volumeId, poolId, backendName: `vol-${volumeId}` } };
    spec
      .given([requested, created, copyRequested, copied, cleaned])
      .when({ type: 'DeleteVolume', volumeId })
      .then([{ type: 'VolumeDeletionRequested', data: { volumeId, poolId: toPoolId, backendName: copyPlan.destinationBackendName } }]);
    const leftBehind: VolumeEvent = { type: 'VolumeMigrationSourceDeletionFailed', data: { volumeId, poolId, backendName: `vol-${volumeId}`, error } };
    const state = fold(volumeDecider, [requested, created, copyRequested, copied, leftBehind]);
    expect(state).toMatchObject({ status: 'ready', inFlight: null, lastError: error });
  });
  it('keeps an attached volume attached through a native move, with nothing left to delete', () => {
    const nativeRequested: VolumeEvent = { type: 'VolumeMigrationRequested', data: { volumeId, poolId, sourceBackendName: `vol-${volumeId}`, ...nativePlan } };
    const moved: VolumeEvent = {
      type: 'VolumeMigrated',
      data: { volumeId, fromPoolId: poolId, toPoolId, mode: 'native', sourceBackendName: `vol-${volumeId}`, backendName: `vol-${volumeId}`, sizeBytes: 1048576, path: null },
    };
    spec.given([requested, created, ...attached, nativeRequested]).when({ type: 'RecordVolumeMigrated', sizeBytes: 1048576, path: null }).then([moved]);
    const state = fold(volumeDecider, [requested, created, ...attached, nativeRequested, moved]);
    expect(state).toMatchObject({ status: 'attached', poolId: toPoolId, inFlight: null, path: '/a/x.raw' });
  });
  it('stays on the source after a failed migration, with the reason', () => {
    spec
      .given([requested, created, copyRequested])
      .when({ type: 'RecordVolumeMigrationFailed', error })
      .then([{ type: 'VolumeMigrationFailed', data: { volumeId, poolId, toPoolId, error } }]);
    const state = fold(volumeDecider, [requested, created, copyRequested, { type: 'VolumeMigrationFailed', data: { volumeId, poolId, toPoolId, error } }]);
    expect(state).toMatchObject({ status: 'ready', poolId, inFlight: null, lastError: error });
  });
  it('refuses outcomes of a migration that is not under way', () => {
    spec.given([requested, created]).when({ type: 'RecordVolumeMigrated', sizeBytes: 1, path: null }).thenThrows('volume.illegal_state');
    spec.given([requested, created]).when({ type: 'RecordMigrationSourceDeleted' }).thenThrows('volume.illegal_state');
  });
  it('holds objects on both pools while it migrates and until the old copy is gone', () => {
    expect(volumeHoldings(fold(volumeDecider, [requested, created]))).toEqual([{ poolId, backendName: `vol-${volumeId}`, home: true }]);
    expect(volumeHoldings(fold(volumeDecider, [requested, created, copyRequested]))).toEqual([
      { poolId, backendName: `vol-${volumeId}`, home: true },
      { poolId: toPoolId, backendName: copyPlan.destinationBackendName, home: false },
    ]);
    expect(volumeHoldings(fold(volumeDecider, [requested, created, copyRequested, copied]))).toEqual([
      { poolId: toPoolId, backendName: copyPlan.destinationBackendName, home: true },
      { poolId, backendName: `vol-${volumeId}`, home: false },
    ]);
  });
  it('refuses attaches while its pool is in maintenance', () => {
    spec.given([requested, created]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'h', poolStatus: 'maintenance' }).thenThrows('pool.in_maintenance');
  });
});

describe('volume decider: allocated (deferred creation)', () => {
  const allocated: VolumeEvent = { ...requested, type: 'VolumeAllocated' } as VolumeEvent;
  const createDeferred = {
    type: 'CreateVolume' as const,
    volumeId,
    name: 'data-1',
    sizeBytes: 1048576,
    volumeType: 'DATA' as const,
    poolId,
    pool: { poolId, status: 'enabled' as const },
    backendName: `vol-${volumeId}`,
    provisioning: 'thin' as const,
    qos: null,
    allocation: null,
    deferred: true,
  };
  it('records the volume as allocated, with nothing to make yet', () => {
    spec.given([]).when(createDeferred).then([allocated]);
    expect(fold(volumeDecider, [allocated])).toMatchObject({ status: 'allocated', poolId, path: null, inFlight: null });
  });
  it('makes it on the backend when asked (its first attach), with the same name and size', () => {
    spec.given([allocated]).when({ type: 'MaterializeVolume', volumeId }).then([requested]);
    spec.given([requested, created]).when({ type: 'MaterializeVolume', volumeId }).thenThrows('volume.illegal_state', /is ready/);
  });
  it('refuses attach, resize and migration until it is made, and deletes it as is', () => {
    spec.given([allocated]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'h' }).thenThrows('volume.illegal_state', /allocated/);
    spec
      .given([allocated])
      .when({ type: 'ResizeVolume', volumeId, toBytes: 2097152, allowShrink: false, backendCanShrink: false, backendCanGrow: true })
      .thenThrows('volume.illegal_state', /allocated/);
    spec.given([allocated]).when(migrate(copyPlan)).thenThrows('volume.illegal_state', /allocated/);
    spec
      .given([allocated])
      .when({ type: 'DeleteVolume', volumeId })
      .then([{ type: 'VolumeDeletionRequested', data: { volumeId, poolId, backendName: `vol-${volumeId}` } }]);
  });
});

describe('volume decider: deleting a volume that has snapshots', () => {
  const snaps = ['snap-a', 'snap-b'];
  it('refuses with their list, naming the flag that allows it', () => {
    spec.given([requested, created]).when({ type: 'DeleteVolume', volumeId, snapshots: snaps }).thenThrows('volume.has_snapshots', /snap-a, snap-b.*deleteSnapshots/);
  });
  it('deletes them with it when asked, recording which', () => {
    spec
      .given([requested, created])
      .when({ type: 'DeleteVolume', volumeId, snapshots: snaps, withSnapshots: true })
      .then([{ type: 'VolumeDeletionRequested', data: { volumeId, poolId, backendName: `vol-${volumeId}`, withSnapshots: true, snapshots: snaps } }]);
    const state = fold(volumeDecider, [
      requested,
      created,
      { type: 'VolumeDeletionRequested', data: { volumeId, poolId, backendName: `vol-${volumeId}`, withSnapshots: true, snapshots: snaps } },
    ]);
    expect(state).toMatchObject({ status: 'deleting', deleteTree: true });
  });
  it('deletes a volume without snapshots as before, the flag or not', () => {
    spec
      .given([requested, created])
      .when({ type: 'DeleteVolume', volumeId, snapshots: [], withSnapshots: true })
      .then([{ type: 'VolumeDeletionRequested', data: { volumeId, poolId, backendName: `vol-${volumeId}` } }]);
  });
});
