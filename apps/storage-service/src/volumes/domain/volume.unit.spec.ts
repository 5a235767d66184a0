import { deciderSpec } from '@strata/kernel';
import { volumeDecider, type VolumeEvent } from './volume';

const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const spec = deciderSpec(volumeDecider);

const requested: VolumeEvent = {
  type: 'VolumeCreationRequested',
  data: { volumeId, name: 'data-1', poolId, sizeBytes: 1048576, volumeType: 'DATA', backendName: `vol-${volumeId}` },
};
const created: VolumeEvent = {
  type: 'VolumeCreated',
  data: { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: 1048576, path: '/pool/x.raw' },
};
const deletionRequested: VolumeEvent = {
  type: 'VolumeDeletionRequested',
  data: { volumeId, poolId, backendName: `vol-${volumeId}` },
};
const createCommand = {
  type: 'CreateVolume' as const,
  volumeId,
  name: 'data-1',
  sizeBytes: 1048576,
  volumeType: 'DATA' as const,
  poolId,
  pool: { poolId, status: 'enabled' as const },
  backendName: `vol-${volumeId}`,
};
const error = { code: 'file.no_space', category: 'backend.capacity', message: 'no space left on the pool' };

describe('volume decider', () => {
  describe('CreateVolume', () => {
    it('records the intent with the backend name before anything is created', () => {
      spec.given([]).when(createCommand).then([requested]);
    });
    it('refuses a pool that does not exist', () => {
      spec.given([]).when({ ...createCommand, pool: null }).thenThrows('pool.not_found', new RegExp(poolId));
    });
    it('refuses a disabled pool, saying so', () => {
      spec
        .given([])
        .when({ ...createCommand, pool: { poolId, status: 'disabled' } })
        .thenThrows('pool.disabled', /disabled/);
    });
    it('refuses a second create of the same volume id', () => {
      spec.given([requested]).when(createCommand).thenThrows('volume.already_exists');
    });
  });

  describe('outcomes of creation', () => {
    it('records the created volume with its real size and path', () => {
      spec
        .given([requested])
        .when({ type: 'RecordVolumeCreated', sizeBytes: 1048576, path: '/pool/x.raw' })
        .then([created]);
    });
    it('records a failed creation with the reason', () => {
      spec
        .given([requested])
        .when({ type: 'RecordVolumeCreationFailed', error })
        .then([{ type: 'VolumeCreationFailed', data: { volumeId, poolId, error } }]);
    });
    it('refuses to record a creation twice', () => {
      spec
        .given([requested, created])
        .when({ type: 'RecordVolumeCreated', sizeBytes: 1, path: null })
        .thenThrows('volume.illegal_state', /is ready/);
    });
  });

  describe('DeleteVolume', () => {
    it('records the deletion intent of a ready volume', () => {
      spec.given([requested, created]).when({ type: 'DeleteVolume', volumeId }).then([deletionRequested]);
    });
    it('deletes a volume whose creation failed, to clean up whatever the backend kept', () => {
      spec
        .given([requested, { type: 'VolumeCreationFailed', data: { volumeId, poolId, error } }])
        .when({ type: 'DeleteVolume', volumeId })
        .then([deletionRequested]);
    });
    it('refuses a second deletion while one is under way, saying so', () => {
      spec
        .given([requested, created, deletionRequested])
        .when({ type: 'DeleteVolume', volumeId })
        .thenThrows('volume.deletion_in_progress', /already being deleted/);
    });
    it('refuses an unknown volume', () => {
      spec.given([]).when({ type: 'DeleteVolume', volumeId }).thenThrows('volume.not_found');
    });
    it('refuses a volume that is still being created', () => {
      spec.given([requested]).when({ type: 'DeleteVolume', volumeId }).thenThrows('volume.illegal_state', /creating/);
    });
    it('refuses a volume already deleted', () => {
      spec
        .given([requested, created, deletionRequested, { type: 'VolumeDeleted', data: { volumeId, poolId, sizeBytes: 1048576 } }])
        .when({ type: 'DeleteVolume', volumeId })
        .thenThrows('volume.illegal_state', /deleted/);
    });
  });

  describe('outcomes of deletion', () => {
    it('records the deletion with the size it frees', () => {
      spec
        .given([requested, created, deletionRequested])
        .when({ type: 'RecordVolumeDeleted' })
        .then([{ type: 'VolumeDeleted', data: { volumeId, poolId, sizeBytes: 1048576 } }]);
    });
    it('records a failed deletion, leaving the volume in error so it can be deleted again', () => {
      const failed: VolumeEvent = { type: 'VolumeDeletionFailed', data: { volumeId, poolId, error } };
      spec.given([requested, created, deletionRequested]).when({ type: 'RecordVolumeDeletionFailed', error }).then([failed]);
      spec.given([requested, created, deletionRequested, failed]).when({ type: 'DeleteVolume', volumeId }).then([deletionRequested]);
    });
    it('refuses to record a deletion that was never asked for', () => {
      spec.given([requested, created]).when({ type: 'RecordVolumeDeleted' }).thenThrows('volume.illegal_state');
    });
  });
});
