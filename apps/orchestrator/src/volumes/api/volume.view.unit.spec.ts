import type { VolumeRow } from '../../read-model/domain/rows';
import { toVolumeView } from './volume.view';

const VOLUME = '00000000-0000-4000-8000-0000000000c1';
const POOL = '00000000-0000-4000-8000-0000000000b1';
const TO_POOL = '00000000-0000-4000-8000-0000000000b2';
const at = new Date('2026-11-21T07:00:00.000Z');

const row = (over: Partial<VolumeRow> = {}): VolumeRow => ({
  id: VOLUME, name: 'data-1', poolId: POOL, tenant: null, volumeType: 'DATA', sizeBytes: 1024, status: 'ready', backendName: 'vol-1', path: null,
  lastError: null, provisioning: 'thin', qos: null, attachments: [], resizeToBytes: null, allocation: null,
  migrationToPoolId: null, migrationMode: null, migrationPercent: null, allocated: true, source: null, backupSnapshots: false, backupSnapshotsVersion: 0, version: 2, createdAt: at, updatedAt: at,
  ...over,
});

describe('GET /volumes/{id} answer: migration', () => {
  it('is null when no migration is in flight', () => {
    expect(toVolumeView(row()).migration).toBeNull();
  });

  it('shows where a migrating volume goes, how, and a copy\'s progress', () => {
    expect(toVolumeView(row({ status: 'migrating', migrationToPoolId: TO_POOL, migrationMode: 'copy', migrationPercent: 40 }))).toMatchObject({
      status: 'migrating', poolId: POOL, migration: { toPoolId: TO_POOL, mode: 'copy', percent: 40 },
    });
    expect(toVolumeView(row({ status: 'migrating', migrationToPoolId: TO_POOL, migrationMode: 'native' })).migration).toEqual({ toPoolId: TO_POOL, mode: 'native', percent: null });
  });
});

describe('GET /volumes/{id} answer: deferred creation', () => {
  it('shows a volume placed but not made yet as allocated, with no path', () => {
    expect(toVolumeView(row({ status: 'allocated', path: null, version: 1 }))).toMatchObject({ status: 'allocated', poolId: POOL, sizeBytes: 1024, backendName: 'vol-1', path: null });
  });
});

describe('GET /volumes/{id} answer: source and snapshot backup', () => {
  it('shows no source and no snapshot backup for a plain volume', () => {
    expect(toVolumeView(row())).toMatchObject({ source: null, backupSnapshots: false });
  });

  it('shows the snapshot a volume was made from, and whether its snapshots are backed up', () => {
    const source = { snapshotId: '00000000-0000-4000-8000-0000000000d1', volumeId: '00000000-0000-4000-8000-0000000000c9' };
    expect(toVolumeView(row({ source, backupSnapshots: true, backupSnapshotsVersion: 3 }))).toMatchObject({ source, backupSnapshots: true });
    expect(Object.keys(toVolumeView(row()))).not.toContain('backupSnapshotsVersion');
  });
});
