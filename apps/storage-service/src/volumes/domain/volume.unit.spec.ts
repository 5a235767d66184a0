import { deciderSpec } from '@strata/kernel';
import { fold } from '@strata/kernel';
import { volumeDecider, type SnapshotSourceFacts, type VolumeEvent, type VolumeState } from './volume';

const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const spec = deciderSpec(volumeDecider);

const requested: VolumeEvent = {
  type: 'VolumeCreationRequested',
  data: {
    volumeId,
    name: 'data-1',
    poolId,
    sizeBytes: 1048576,
    volumeType: 'DATA',
    backendName: `vol-${volumeId}`,
    provisioning: 'thin',
    qos: null,
    allocation: null,
  },
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

  describe('CreateVolume fromImage', () => {
    const image = { path: '/images/t.qcow2', format: 'qcow2' as const, dataMoverHostId: '2c0c6a43-5f0e-4d8e-9a0c-3b0f6a1e2d11' };
    const fromImage = { ...image, virtualSizeBytes: 1048576, requestedBytes: 1048576 };
    it('records the image (path, format, data mover) with the intent, so recovery can fill it again', () => {
      spec
        .given([])
        .when({ ...createCommand, fromImage })
        .then([{ ...requested, data: { ...requested.data, image } } as VolumeEvent]);
      const state = fold(volumeDecider, [{ ...requested, data: { ...requested.data, image } } as VolumeEvent]);
      expect(state).toMatchObject({ status: 'creating', image });
    });
    it("refuses a size below the image's virtual size, naming data.sizeBytes", () => {
      let caught: unknown;
      try {
        volumeDecider.decide({ ...createCommand, fromImage: { ...fromImage, requestedBytes: 1048575 } }, { status: 'absent' });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'volume.size_below_image', details: { violations: [{ field: 'data.sizeBytes' }] } });
    });
    it('refuses a deferred creation', () => {
      spec.given([]).when({ ...createCommand, deferred: true, fromImage }).thenThrows('volume.image_not_deferrable');
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

  const hostId = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
  const otherHost = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  const attachRequested: VolumeEvent = { type: 'VolumeAttachRequested', data: { volumeId, hostId, backendHost: 'node1' } };
  const attached: VolumeEvent = { type: 'VolumeAttached', data: { volumeId, hostId, devicePath: '/dev/drbd/by-res/x/0' } };

  describe('ResizeVolume', () => {
    const resize = (toBytes: number, allowShrink = false, backendCanShrink = true) =>
      ({ type: 'ResizeVolume', volumeId, toBytes, allowShrink, backendCanShrink, backendCanGrow: true }) as const;
    it('grows a ready volume, recording both sizes', () => {
      spec.given([requested, created]).when(resize(2 * 1048576)).then([
        { type: 'VolumeResizeRequested', data: { volumeId, fromBytes: 1048576, toBytes: 2 * 1048576, allowShrink: false } },
      ]);
    });
    it('refuses a shrink unless asked explicitly, naming the flag', () => {
      spec.given([requested, created]).when(resize(512)).thenThrows('volume.shrink_not_allowed', /allowShrink/);
    });
    it('refuses a shrink the backend cannot do, even when asked', () => {
      spec.given([requested, created]).when(resize(512, true, false)).thenThrows('volume.shrink_unsupported');
    });
    it('refuses a resize to the same size, so its job ends', () => {
      spec.given([requested, created]).when(resize(1048576)).thenThrows('volume.size_unchanged');
    });
    it('refuses any other operation while one is in flight', () => {
      const resizing: VolumeEvent = { type: 'VolumeResizeRequested', data: { volumeId, fromBytes: 1048576, toBytes: 2097152, allowShrink: false } };
      spec.given([requested, created, resizing]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'node1' }).thenThrows('volume.illegal_state', /resizing/);
    });
    it('records the new size and settles back to ready', () => {
      const resizing: VolumeEvent = { type: 'VolumeResizeRequested', data: { volumeId, fromBytes: 1048576, toBytes: 2097152, allowShrink: false } };
      spec.given([requested, created, resizing]).when({ type: 'RecordVolumeResized', sizeBytes: 2097152 }).then([
        { type: 'VolumeResized', data: { volumeId, sizeBytes: 2097152 } },
      ]);
      spec.given([requested, created, resizing, { type: 'VolumeResized', data: { volumeId, sizeBytes: 2097152 } }]).when(resize(2097152)).thenThrows('volume.size_unchanged');
    });
  });

  describe('attach and detach', () => {
    it('attaches with the host identity on the backend, then records the device path', () => {
      spec.given([requested, created]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'node1' }).then([attachRequested]);
      spec.given([requested, created, attachRequested]).when({ type: 'RecordVolumeAttached', devicePath: '/dev/drbd/by-res/x/0' }).then([attached]);
    });
    it('attaches a second host (live migration) but not the same one twice', () => {
      spec.given([requested, created, attachRequested, attached]).when({ type: 'AttachVolume', volumeId, hostId: otherHost, backendHost: 'node2' }).then([
        { type: 'VolumeAttachRequested', data: { volumeId, hostId: otherHost, backendHost: 'node2' } },
      ]);
      spec.given([requested, created, attachRequested, attached]).when({ type: 'AttachVolume', volumeId, hostId, backendHost: 'node1' }).thenThrows('volume.already_attached');
    });
    it('detaches with the identity recorded at attach time', () => {
      spec.given([requested, created, attachRequested, attached]).when({ type: 'DetachVolume', volumeId, hostId }).then([
        { type: 'VolumeDetachRequested', data: { volumeId, hostId, backendHost: 'node1' } },
      ]);
    });
    it('refuses to detach a host that is not attached', () => {
      spec.given([requested, created]).when({ type: 'DetachVolume', volumeId, hostId }).thenThrows('volume.not_attached');
    });
    it('refuses to record an attach nobody asked for', () => {
      spec.given([requested, created]).when({ type: 'RecordVolumeAttached', devicePath: '/x' }).thenThrows('volume.illegal_state');
    });
    it('deletes an attached volume (the effect revokes every host first)', () => {
      spec.given([requested, created, attachRequested, attached]).when({ type: 'DeleteVolume', volumeId }).then([deletionRequested]);
    });
  });

  describe('QoS', () => {
    const qos = { iops: 500, bandwidthBytesPerSecond: null, tier: null };
    it('changes QoS where the backend has it', () => {
      spec.given([requested, created]).when({ type: 'ChangeVolumeQos', volumeId, qos, backendSupportsQos: true }).then([
        { type: 'VolumeQosChangeRequested', data: { volumeId, qos } },
      ]);
    });
    it('refuses limits on a backend without QoS, but lets them be cleared', () => {
      spec.given([requested, created]).when({ type: 'ChangeVolumeQos', volumeId, qos, backendSupportsQos: false }).thenThrows('volume.qos_unsupported');
      const none = { iops: null, bandwidthBytesPerSecond: null, tier: null };
      spec.given([requested, created]).when({ type: 'ChangeVolumeQos', volumeId, qos: none, backendSupportsQos: false }).then([
        { type: 'VolumeQosChangeRequested', data: { volumeId, qos: none } },
      ]);
    });
  });

  describe('ManageVolume', () => {
    it('adopts a backend object as a ready volume', () => {
      const manage = { volumeId, name: 'adopted', poolId, backendName: 'vol-orphan', sizeBytes: 4096, path: '/p/vol-orphan.raw' };
      spec.given([]).when({ type: 'ManageVolume', ...manage }).then([{ type: 'VolumeManaged', data: manage }]);
      spec.given([{ type: 'VolumeManaged', data: manage }]).when({ type: 'DeleteVolume', volumeId }).then([
        { type: 'VolumeDeletionRequested', data: { volumeId, poolId, backendName: 'vol-orphan' } },
      ]);
    });
  });

  describe('CreateVolume from a snapshot', () => {
    const sourceId = '2c9e4b1a-7d3f-4e8a-9b6c-5f1e0d2a3b4c';
    const snapshotId = '8e7d6c5b-4a39-4281-b7c6-d5e4f3a2b1c0';
    const otherPool = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';
    const sourceName = `vol-${sourceId}`;
    const snapshotName = `snap-${snapshotId}`;
    const sourceEvents: VolumeEvent[] = [
      { type: 'VolumeCreationRequested', data: { ...requested.data, volumeId: sourceId, name: 'source', backendName: sourceName } },
      { type: 'VolumeCreated', data: { volumeId: sourceId, poolId, backendName: sourceName, sizeBytes: 1048576, path: null } },
    ];
    const sourceState = (events: readonly VolumeEvent[] = sourceEvents): VolumeState => fold(volumeDecider, events);
    const facts = (over: Partial<SnapshotSourceFacts> = {}): SnapshotSourceFacts => ({
      snapshotId,
      volumeId: sourceId,
      volume: sourceState(),
      requestedBytes: 2097152,
      cloneSupported: true,
      snapshot: { name: snapshotName, sizeBytes: 1048576 },
      ...over,
    });
    const cloneCommand = (over: Partial<SnapshotSourceFacts> = {}) => ({ ...createCommand, sizeBytes: 2097152, fromSnapshot: facts(over) });
    const source = { snapshotId, volumeId: sourceId, sourceVolumeBackendName: sourceName, snapshotBackendName: snapshotName };

    it('records the snapshot and the backend names the clone is made from in the intent', () => {
      spec
        .given([])
        .when(cloneCommand())
        .then([{ type: 'VolumeCreationRequested', data: { ...requested.data, sizeBytes: 2097152, source } }]);
    });
    it('keeps the source in the state, for the effect (and recovery) to clone instead of create', () => {
      const intent: VolumeEvent = { type: 'VolumeCreationRequested', data: { ...requested.data, source } };
      const state = fold(volumeDecider, [intent]);
      expect(state).toMatchObject({ status: 'creating', source });
      expect(fold(volumeDecider, [requested])).not.toHaveProperty('source');
    });
    it('takes an attached source and a size equal to the snapshot', () => {
      const attachedSource = sourceState([
        ...sourceEvents,
        { type: 'VolumeAttachRequested', data: { volumeId: sourceId, hostId: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d', backendHost: 'n1' } },
        { type: 'VolumeAttached', data: { volumeId: sourceId, hostId: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d', devicePath: '/dev/x' } },
      ]);
      spec
        .given([])
        .when({ ...cloneCommand({ volume: attachedSource, requestedBytes: 1048576 }), sizeBytes: 1048576 })
        .then([{ type: 'VolumeCreationRequested', data: { ...requested.data, source } }]);
    });
    it('refuses a source volume that does not exist or is deleted, naming fromSnapshot.volumeId', () => {
      spec.given([]).when(cloneCommand({ volume: { status: 'absent' } })).thenThrows('volume.source_not_found', new RegExp(sourceId));
      const deleted = sourceState([
        ...sourceEvents,
        { type: 'VolumeDeletionRequested', data: { volumeId: sourceId, poolId, backendName: sourceName } },
        { type: 'VolumeDeleted', data: { volumeId: sourceId, poolId, sizeBytes: 1048576 } },
      ]);
      expect(() => volumeDecider.decide(cloneCommand({ volume: deleted }), { status: 'absent' })).toThrow(
        expect.objectContaining({ code: 'volume.source_not_found', details: expect.objectContaining({ violations: [expect.objectContaining({ field: 'data.fromSnapshot.volumeId' })] }) }),
      );
    });
    it('refuses a source whose object is not made (creating, error), naming fromSnapshot.volumeId', () => {
      spec.given([]).when(cloneCommand({ volume: sourceState(sourceEvents.slice(0, 1)) })).thenThrows('volume.source_not_ready', /creating/);
      expect(() => volumeDecider.decide(cloneCommand({ volume: sourceState(sourceEvents.slice(0, 1)) }), { status: 'absent' })).toThrow(
        expect.objectContaining({ details: expect.objectContaining({ violations: [expect.objectContaining({ field: 'data.fromSnapshot.volumeId' })] }) }),
      );
    });
    it("refuses another pool than the snapshot's, saying to migrate afterwards", () => {
      spec.given([]).when(cloneCommand({ requestedPoolId: otherPool })).thenThrows('volume.clone_other_pool', /migrate it afterwards/);
      spec
        .given([])
        .when({ ...cloneCommand(), poolId: otherPool, pool: { poolId: otherPool, status: 'enabled' } })
        .thenThrows('volume.clone_other_pool', new RegExp(poolId));
    });
    it('refuses a snapshot the backend does not have, naming fromSnapshot.snapshotId', () => {
      expect(() => volumeDecider.decide(cloneCommand({ snapshot: null }), { status: 'absent' })).toThrow(
        expect.objectContaining({
          code: 'volume.snapshot_not_found',
          details: expect.objectContaining({ violations: [expect.objectContaining({ field: 'data.fromSnapshot.snapshotId' })] }),
        }),
      );
    });
    it("refuses a size below the snapshot's, naming sizeBytes", () => {
      expect(() => volumeDecider.decide(cloneCommand({ requestedBytes: 1048575 }), { status: 'absent' })).toThrow(
        expect.objectContaining({
          code: 'volume.size_below_snapshot',
          details: expect.objectContaining({ violations: [expect.objectContaining({ field: 'data.sizeBytes' })] }),
        }),
      );
    });
    it('refuses a backend that does not clone', () => {
      spec.given([]).when(cloneCommand({ cloneSupported: false })).thenThrows('volume.clone_unsupported', new RegExp(poolId));
    });
    it('refuses a deferred or thick clone', () => {
      spec.given([]).when({ ...cloneCommand(), deferred: true }).thenThrows('volume.clone_not_deferrable');
      spec.given([]).when({ ...cloneCommand(), provisioning: 'thick' as const }).thenThrows('volume.clone_thick_unsupported');
    });
    it("refuses the source's pool when disabled, as for any new volume", () => {
      spec.given([]).when({ ...cloneCommand(), pool: { poolId, status: 'disabled' } }).thenThrows('pool.disabled');
    });
  });
});
