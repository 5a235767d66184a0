import {
  hostCountOf,
  isAttached,
  missingFields,
  projectPool,
  projectVolume,
  viewTargetOf,
  type PoolRow,
  type PoolViewEvent,
  type VolumeRow,
  type VolumeViewEvent,
} from './storage-view';

const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const otherPoolId = '1c6f8c2f-0b5c-4d4f-9a2b-3e7d0f9c8b77';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const hostA = 'a1b2c3d4-0000-4000-8000-000000000001';
const hostB = 'a1b2c3d4-0000-4000-8000-000000000002';
const error = { code: 'x', category: 'backend.terminal', message: 'broken' };

/** Folds events through the projection as the consumer does (rows start absent). */
function pools(events: readonly PoolViewEvent[]): PoolRow | null {
  return events.reduce<PoolRow | null>((row, e) => projectPool(row, e) ?? row, null);
}
function volumes(events: readonly VolumeViewEvent[]): VolumeRow | null {
  return events.reduce<VolumeRow | null>((row, e) => projectVolume(row, e) ?? row, null);
}

const added: PoolViewEvent = {
  type: 'StoragePoolAdded',
  streamVersion: 1,
  data: {
    poolId,
    name: 'pf1',
    plugin: 'powerflex',
    zoneId: 'z1',
    clusterId: null,
    tags: [],
    config: { gatewayUrl: 'https://gw', username: 'admin', password: '***', storagePool: 'pool1' },
    capacityBytes: 100,
    usedBytes: 0,
  },
};
const requested: VolumeViewEvent = {
  type: 'VolumeCreationRequested',
  streamVersion: 1,
  data: { volumeId, name: 'v1', poolId, sizeBytes: 1024, volumeType: 'DATA', backendName: 'vol-1', provisioning: 'thin', qos: null, allocation: null },
};
const created: VolumeViewEvent = {
  type: 'VolumeCreated',
  streamVersion: 2,
  data: { volumeId, poolId, backendName: 'vol-1', sizeBytes: 8192, path: '/dev/x' },
};
const attachRequested = (hostId: string, streamVersion: number): VolumeViewEvent => ({
  type: 'VolumeAttachRequested',
  streamVersion,
  data: { volumeId, hostId, backendHost: hostId },
});
const attached = (hostId: string, streamVersion: number): VolumeViewEvent => ({
  type: 'VolumeAttached',
  streamVersion,
  data: { volumeId, hostId, devicePath: '/dev/x' },
});
const detached = (hostId: string, streamVersion: number): VolumeViewEvent => ({ type: 'VolumeDetached', streamVersion, data: { volumeId, hostId } });

describe('storage view: pools', () => {
  it('keeps plugin, redacted config, zone and status of an added pool', () => {
    expect(pools([added])).toEqual({
      poolId,
      plugin: 'powerflex',
      config: { gatewayUrl: 'https://gw', username: 'admin', password: '***', storagePool: 'pool1' },
      zoneId: 'z1',
      status: 'enabled',
      version: 1,
    });
  });

  it('follows disable, enable and delete', () => {
    expect(pools([added, { type: 'StoragePoolDisabled', streamVersion: 2, data: { poolId, reason: null } }])?.status).toBe('disabled');
    expect(
      pools([added, { type: 'StoragePoolDisabled', streamVersion: 2, data: { poolId, reason: 'x' } }, { type: 'StoragePoolEnabled', streamVersion: 3, data: { poolId } }])
        ?.status,
    ).toBe('enabled');
    expect(pools([added, { type: 'StoragePoolDeleted', streamVersion: 2, data: { poolId } }])?.status).toBe('deleted');
  });

  it('holds a pool in maintenance until cancelled, then restores the status it had', () => {
    const maintenance: PoolViewEvent[] = [
      added,
      { type: 'StoragePoolDisabled', streamVersion: 2, data: { poolId, reason: null } },
      { type: 'PoolMaintenanceRequested', streamVersion: 3, data: { poolId, previousStatus: 'disabled', moves: [], dataMoverHostId: null } },
      { type: 'PoolMaintenanceFailed', streamVersion: 4, data: { poolId, volumeId: null, error } },
    ];
    expect(pools(maintenance)?.status).toBe('maintenance');
    expect(pools([...maintenance, { type: 'PoolMaintenanceCancelled', streamVersion: 5, data: { poolId, restoredStatus: 'disabled' } }])?.status).toBe(
      'disabled',
    );
  });

  it('moves only the version on settings and capacity changes', () => {
    const row = pools([added, { type: 'StoragePoolUpdated', streamVersion: 2, data: { poolId, changes: { name: 'renamed' } } }]);
    expect(row).toMatchObject({ status: 'enabled', version: 2, plugin: 'powerflex' });
  });

  it('changes nothing for an event already applied (same or older version)', () => {
    const row = pools([added, { type: 'StoragePoolDisabled', streamVersion: 2, data: { poolId, reason: null } }])!;
    expect(projectPool(row, { type: 'StoragePoolEnabled', streamVersion: 2, data: { poolId } })).toBeNull();
    expect(projectPool(row, added)).toBeNull();
  });

  it('ignores a later event of a pool it never saw added', () => {
    expect(projectPool(null, { type: 'StoragePoolEnabled', streamVersion: 2, data: { poolId } })).toBeNull();
  });
});

describe('storage view: volumes', () => {
  it('places a requested volume as creating, then ready at the size the backend made', () => {
    expect(volumes([requested])).toMatchObject({ status: 'creating', poolId, backendName: 'vol-1', sizeBytes: 1024 });
    expect(volumes([requested, created])).toEqual({
      volumeId,
      poolId,
      backendName: 'vol-1',
      status: 'ready',
      sizeBytes: 8192,
      hostIds: [],
      attachingHostId: null,
      version: 2,
    });
  });

  it('keeps an allocated volume allocated, and creating when its first attach makes it', () => {
    const allocated: VolumeViewEvent = { ...requested, type: 'VolumeAllocated' } as VolumeViewEvent;
    expect(volumes([allocated])?.status).toBe('allocated');
    expect(volumes([allocated, { ...requested, streamVersion: 2 }])?.status).toBe('creating');
  });

  it('takes an adopted volume as ready', () => {
    expect(
      volumes([{ type: 'VolumeManaged', streamVersion: 1, data: { volumeId, name: 'm', poolId, backendName: 'orphan-1', sizeBytes: 4096, path: null } }]),
    ).toMatchObject({ status: 'ready', backendName: 'orphan-1', sizeBytes: 4096 });
  });

  it('counts an attach in flight as attached, then the granted hosts', () => {
    const inFlight = volumes([requested, created, attachRequested(hostA, 3)])!;
    expect(inFlight.status).toBe('ready');
    expect(isAttached(inFlight)).toBe(true);
    expect(hostCountOf(inFlight)).toBe(1);
    const two = volumes([requested, created, attachRequested(hostA, 3), attached(hostA, 4), attachRequested(hostB, 5), attached(hostB, 6)])!;
    expect(two).toMatchObject({ status: 'attached', hostIds: [hostA, hostB], attachingHostId: null });
    expect(hostCountOf(two)).toBe(2);
  });

  it('forgets a failed attach', () => {
    const row = volumes([requested, created, attachRequested(hostA, 3), { type: 'VolumeAttachFailed', streamVersion: 4, data: { volumeId, hostId: hostA, error } }])!;
    expect(isAttached(row)).toBe(false);
    expect(row.status).toBe('ready');
  });

  it('is ready again when the last host detaches, attached while one remains', () => {
    const base = [requested, created, attached(hostA, 3), attached(hostB, 4)];
    expect(volumes([...base, detached(hostA, 5)])).toMatchObject({ status: 'attached', hostIds: [hostB] });
    const row = volumes([...base, detached(hostA, 5), detached(hostB, 6)])!;
    expect(row.status).toBe('ready');
    expect(isAttached(row)).toBe(false);
  });

  it('still counts the host while a detach runs', () => {
    const row = volumes([requested, created, attached(hostA, 3), { type: 'VolumeDetachRequested', streamVersion: 4, data: { volumeId, hostId: hostA, backendHost: hostA } }])!;
    expect(row.status).toBe('attached');
    expect(isAttached(row)).toBe(true);
  });

  it('follows a resize through resizing back to ready with the new size, or the old one on failure', () => {
    const resizing: VolumeViewEvent = { type: 'VolumeResizeRequested', streamVersion: 3, data: { volumeId, fromBytes: 8192, toBytes: 16384, allowShrink: false } };
    expect(volumes([requested, created, resizing])?.status).toBe('resizing');
    expect(volumes([requested, created, resizing, { type: 'VolumeResized', streamVersion: 4, data: { volumeId, sizeBytes: 16384 } }])).toMatchObject({
      status: 'ready',
      sizeBytes: 16384,
    });
    expect(volumes([requested, created, resizing, { type: 'VolumeResizeFailed', streamVersion: 4, data: { volumeId, error } }])).toMatchObject({
      status: 'ready',
      sizeBytes: 8192,
    });
  });

  it('moves the volume to its new pool and backend name when a migration switches it', () => {
    const migrating: VolumeViewEvent = {
      type: 'VolumeMigrationRequested',
      streamVersion: 3,
      data: {
        volumeId,
        poolId,
        toPoolId: otherPoolId,
        mode: 'copy',
        sourceBackendName: 'vol-1',
        destinationBackendName: 'vol-2',
        sizeBytes: 8192,
        nativeTarget: null,
        dataMover: null,
        allocation: null,
      },
    };
    expect(volumes([requested, created, migrating])?.status).toBe('migrating');
    const moved = volumes([
      requested,
      created,
      migrating,
      {
        type: 'VolumeMigrated',
        streamVersion: 4,
        data: { volumeId, fromPoolId: poolId, toPoolId: otherPoolId, mode: 'copy', sourceBackendName: 'vol-1', backendName: 'vol-2', sizeBytes: 8192, path: null },
      },
    ]);
    expect(moved).toMatchObject({ status: 'ready', poolId: otherPoolId, backendName: 'vol-2' });
    const failed = volumes([requested, created, migrating, { type: 'VolumeMigrationFailed', streamVersion: 4, data: { volumeId, poolId, toPoolId: otherPoolId, error } }]);
    expect(failed).toMatchObject({ status: 'ready', poolId, backendName: 'vol-1' });
  });

  it('follows a deletion: deleting, then deleted (or error when it failed)', () => {
    const deleting: VolumeViewEvent = { type: 'VolumeDeletionRequested', streamVersion: 3, data: { volumeId, poolId, backendName: 'vol-1' } };
    expect(volumes([requested, created, deleting])?.status).toBe('deleting');
    expect(volumes([requested, created, deleting, { type: 'VolumeDeleted', streamVersion: 4, data: { volumeId, poolId, sizeBytes: 8192 } }])?.status).toBe('deleted');
    expect(volumes([requested, created, deleting, { type: 'VolumeDeletionFailed', streamVersion: 4, data: { volumeId, poolId, error } }])?.status).toBe('error');
  });

  it('marks a failed creation as error', () => {
    expect(volumes([requested, { type: 'VolumeCreationFailed', streamVersion: 2, data: { volumeId, poolId, error } }])?.status).toBe('error');
  });

  it('changes nothing for an event already applied', () => {
    const row = volumes([requested, created])!;
    expect(projectVolume(row, created)).toBeNull();
    expect(projectVolume(row, requested)).toBeNull();
  });

  it('ignores a later event of a volume it never saw placed', () => {
    expect(projectVolume(null, created)).toBeNull();
  });
});

describe('storage view: which events it keeps', () => {
  it('routes pool and volume events, and ignores hosts, drift and rejections', () => {
    expect(viewTargetOf('StoragePoolAdded')).toBe('pool');
    expect(viewTargetOf('PoolMaintenanceCancelled')).toBe('pool');
    expect(viewTargetOf('VolumeMigrated')).toBe('volume');
    expect(viewTargetOf('HostRegistered')).toBeNull();
    expect(viewTargetOf('PoolDriftDetected')).toBeNull();
    expect(viewTargetOf('CommandRejected')).toBeNull();
  });

  it('names the fields an event lacks', () => {
    expect(missingFields('VolumeCreationRequested', { volumeId, poolId })).toEqual(['backendName', 'sizeBytes']);
    expect(missingFields('StoragePoolEnabled', {})).toEqual(['poolId']);
    expect(missingFields('VolumeCreated', { volumeId, sizeBytes: 1 })).toEqual([]);
  });
});
